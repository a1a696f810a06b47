#include "common/error.h"

namespace chuhai {

namespace {
std::string with_location(const std::string& where, const std::string& message) {
    return where.empty() ? message : where + ": " + message;
}
}  // namespace

const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage:
            return "usage";
        case ErrorKind::config:
            return "config";
        case ErrorKind::io:
            return "io";
        case ErrorKind::store:
            return "store";
        case ErrorKind::network:
            return "network";
        case ErrorKind::parse:
            return "parse";
        case ErrorKind::delivery:
            return "delivery";
        case ErrorKind::internal:
            return "internal";
    }
    return "unknown";
}

Error::Error(ErrorKind kind, std::string message, std::string where)
    : std::runtime_error(with_location(where, message)),
      kind_(kind),
      where_(std::move(where)),
      message_(std::move(message)) {}

int exit_status_for(ErrorKind kind) noexcept {
    return (kind == ErrorKind::usage || kind == ErrorKind::config) ? kExitUsage : kExitFailure;
}

}  // namespace chuhai
