#include "common/time.h"

#include <charconv>
#include <cstdio>

namespace chuhai {

namespace {

bool read_int(std::string_view text, std::size_t pos, std::size_t len, int& out) {
    if (pos + len > text.size())
        return false;
    for (std::size_t i = pos; i < pos + len; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
    }
    auto result = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return result.ec == std::errc{};
}

}  // namespace

std::string format_rfc3339(UtcTime t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::optional<UtcTime> parse_rfc3339(std::string_view text) {
    using namespace std::chrono;
    int y, mo, d, h, mi, s;
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    if (!read_int(text, 0, 4, y) || !read_int(text, 5, 2, mo) || !read_int(text, 8, 2, d) ||
        !read_int(text, 11, 2, h) || !read_int(text, 14, 2, mi) || !read_int(text, 17, 2, s)) {
        return std::nullopt;
    }
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 60)
        return std::nullopt;
    std::string_view zone = text.substr(19);
    if (!zone.empty() && zone.front() == '.') {  // fractional seconds are dropped
        std::size_t i = 1;
        while (i < zone.size() && zone[i] >= '0' && zone[i] <= '9')
            ++i;
        zone.remove_prefix(i);
    }
    seconds offset{0};
    if (zone == "Z" || zone == "z") {
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        int oh, om;
        if (!read_int(zone, 1, 2, oh) || !read_int(zone, 4, 2, om))
            return std::nullopt;
        offset = hours{oh} + minutes{om};
        if (zone[0] == '-')
            offset = -offset;
    } else {
        return std::nullopt;
    }
    return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} - offset;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    using namespace std::chrono;
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    if (text.empty())
        return std::nullopt;
    seconds total{0};
    while (!text.empty()) {
        long long value = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || value < 0)
            return std::nullopt;
        text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
        long long unit = 1;
        if (!text.empty() && text.front() != ' ') {
            switch (text.front()) {
                case 's':
                    unit = 1;
                    break;
                case 'm':
                    unit = 60;
                    break;
                case 'h':
                    unit = 3600;
                    break;
                case 'd':
                    unit = 86400;
                    break;
                case 'w':
                    unit = 7 * 86400;
                    break;
                default:
                    return std::nullopt;
            }
            text.remove_prefix(1);
        }
        if (value > (1LL << 40) / unit)
            return std::nullopt;
        total += seconds{value * unit};
        while (!text.empty() && text.front() == ' ')
            text.remove_prefix(1);
    }
    return total;
}

std::string format_duration(std::chrono::seconds d) {
    long long s = d.count();
    if (s == 0)
        return "0s";
    std::string out;
    if (s < 0) {
        out = "-";
        s = -s;
    }
    struct Unit {
        long long seconds;
        char suffix;
    };
    const Unit units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    bool first = true;
    for (const auto& unit : units) {
        if (s >= unit.seconds) {
            if (!first)
                out += ' ';
            out += std::to_string(s / unit.seconds);
            out += unit.suffix;
            s %= unit.seconds;
            first = false;
        }
    }
    return out;
}

UtcTime SystemClock::now() const {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace chuhai
