#pragma once
// The project's one error convention (see docs/architecture.md):
// an operation that cannot do its job throws chuhai::Error, whose kind decides the exit status and
// whose `where` names the file:line:col, source or database it concerns. Results that are usable
// but degraded (a feed recovered from broken XML) are data, not errors. Exceptions never cross a C
// callback, a thread boundary or a destructor.

#include <stdexcept>
#include <string>

namespace chuhai {

enum class ErrorKind {
    usage,     // bad command line
    config,    // bad configuration or rule file
    io,        // file system
    store,     // database
    network,   // transfer failed
    parse,     // content that cannot be understood at all
    delivery,  // a digest could not be delivered
    internal,  // a bug
};

const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, std::string message, std::string where = {});

    ErrorKind kind() const noexcept { return kind_; }
    // The file:line:col, source name or path the error concerns; may be empty.
    const std::string& where() const noexcept { return where_; }
    // The message without the location prefix.
    const std::string& message() const noexcept { return message_; }

  private:
    ErrorKind kind_;
    std::string where_;
    std::string message_;
};

// Exit status of the chuhai binary for an error of this kind: 2 for usage and configuration
// errors, 1 for everything that went wrong at run time.
int exit_status_for(ErrorKind kind) noexcept;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace chuhai
