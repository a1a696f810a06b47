#include "digest/time_zone.h"

#include <date/tz.h>

#include <stdexcept>

#include "common/error.h"

namespace chuhai::digest {

namespace {

date::local_seconds to_date_local(std::chrono::local_seconds t) {
    return date::local_seconds{t.time_since_epoch()};
}

const date::time_zone* utc_zone() {
    static const date::time_zone* const zone = date::locate_zone("Etc/UTC");
    return zone;
}

}  // namespace

TimeZone::TimeZone() : TimeZone(utc_zone()) {
    name_ = "UTC";
}

TimeZone::TimeZone(const date::time_zone* zone) : zone_(zone), name_(std::string(zone->name())) {}

TimeZone TimeZone::locate(std::string_view iana_name, std::string_view where) {
    if (iana_name.empty() || iana_name == "UTC")
        return TimeZone{};
    try {
        return TimeZone(date::locate_zone(iana_name));
    } catch (const std::exception&) {
        throw Error(ErrorKind::config,
                    "unknown time zone '" + std::string(iana_name) +
                        "' (expected an IANA name such as Europe/Berlin or Asia/Shanghai)",
                    std::string(where));
    }
}

std::chrono::local_seconds TimeZone::to_local(UtcTime t) const {
    const auto local = zone_->to_local(t);
    return std::chrono::local_seconds{local.time_since_epoch()};
}

std::vector<UtcTime> TimeZone::instants_of(std::chrono::local_seconds local) const {
    const auto info = zone_->get_info(to_date_local(local));
    const auto since_epoch = local.time_since_epoch();
    switch (info.result) {
        case date::local_info::unique:
            return {UtcTime{since_epoch - info.first.offset}};
        case date::local_info::ambiguous:
            return {UtcTime{since_epoch - info.first.offset},
                    UtcTime{since_epoch - info.second.offset}};
        case date::local_info::nonexistent:
        default:
            return {};
    }
}

UtcTime TimeZone::first_instant_reaching(std::chrono::local_seconds local) const {
    const auto info = zone_->get_info(to_date_local(local));
    if (info.result == date::local_info::nonexistent) {
        // info.second begins where the gap ends: the first instant whose wall clock is past
        // `local`.
        return std::chrono::time_point_cast<std::chrono::seconds>(info.second.begin);
    }
    return UtcTime{local.time_since_epoch() - info.first.offset};
}

std::string TimeZone::format(UtcTime t, const char* pattern) const {
    return date::format(pattern, date::make_zoned(zone_, t));
}

}  // namespace chuhai::digest
