#include "digest/render_common.h"

#include <cmath>
#include <cstdio>

namespace chuhai::digest::detail {

std::string concat(std::initializer_list<std::string_view> pieces) {
    std::size_t size = 0;
    for (auto piece : pieces)
        size += piece.size();
    std::string out;
    out.reserve(size);
    for (auto piece : pieces)
        out += piece;
    return out;
}

std::string local_time(const Digest& digest, UtcTime t) {
    return digest.zone.format(t, "%Y-%m-%d %H:%M %Z");
}

std::string period_text(const Digest& digest) {
    return digest.zone.format(digest.period.start, "%Y-%m-%d %H:%M") + " \xE2\x86\x92 " +
           local_time(digest, digest.period.end);
}

std::string period_label(const Digest& digest, const Period& period) {
    using namespace std::chrono;
    if (period.end - period.start >= hours{24})
        return digest.zone.format(period.start, "%m-%d");
    return digest.zone.format(period.start, "%m-%d %H:%M");
}

std::string trend_text(const CountChange& change) {
    const int d = change.change();
    if (d > 0)
        return "\xE2\x96\xB2 +" + std::to_string(d);
    if (d < 0)
        return "\xE2\x96\xBC " + std::to_string(d);
    return "= 0";
}

bool is_web_link(std::string_view url) {
    auto starts_with_ci = [&](std::string_view prefix) {
        if (url.size() < prefix.size())
            return false;
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            char c = url[i];
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
            if (c != prefix[i])
                return false;
        }
        return true;
    };
    if (url.size() > 2048)
        return false;
    if (!starts_with_ci("http://") && !starts_with_ci("https://"))
        return false;
    const std::size_t host_start = url.find("//") + 2;
    if (host_start >= url.size() || url[host_start] == '/')
        return false;
    for (unsigned char c : url) {
        if (c <= 0x20 || c == 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' ||
            c == '`')
            return false;
    }
    return true;
}

std::string evidence_text(const Story& story) {
    std::string out;
    for (const auto& evidence : story.matches) {
        if (!out.empty())
            out += "; ";
        out += evidence.rule;
        if (!evidence.terms.empty()) {
            out += " (";
            for (std::size_t i = 0; i < evidence.terms.size(); ++i)
                out += (i ? ", " : "") + evidence.terms[i];
            out += ")";
        }
    }
    return out;
}

std::string counts_line(const std::vector<CountChange>& counts, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < counts.size() && i < max; ++i) {
        if (i > 0)
            out += " \xC2\xB7 ";
        out +=
            counts[i].name + " " + std::to_string(counts[i].current) + " " + trend_text(counts[i]);
    }
    if (counts.size() > max)
        out += " \xC2\xB7 +" + std::to_string(counts.size() - max) + " more";
    return out;
}

std::string score_text(double score) {
    char buf[32];
    if (!std::isfinite(score))
        return "0";
    std::snprintf(buf, sizeof buf, "%.2f", score);
    std::string s = buf;
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

std::string encode_link_target(std::string_view url, std::string_view reserved) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : url) {
        if (c <= 0x20 || c == 0x7F || reserved.find(static_cast<char>(c)) != std::string::npos) {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace chuhai::digest::detail
