#include "feed/dates.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>

#include "common/error.h"

namespace chuhai::feed {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Rewrites the Chinese spellings into the ASCII ones the tokenizer reads: 年/月 → '-',
// 日 → ' ', 时/時/点 → ':', 分 → ':', 秒 → ' ', 上午/下午 → am/pm, full-width digits and colon
// → ASCII; weekday names (星期一, 周一) are dropped; 北京时间 means UTC+8.
std::string rewrite_cjk(std::string_view text) {
    struct Rewrite {
        std::string_view from, to;
    };
    static constexpr Rewrite kRewrites[] = {
        {"北京时间", " UTC+0800 "},
        {"北京時間", " UTC+0800 "},
        {"年", "-"},
        {"月", "-"},
        {"日", " "},
        {"號", " "},
        {"号", " "},
        {"时", ":"},
        {"時", ":"},
        {"点", ":"},
        {"點", ":"},
        {"分", ":"},
        {"秒", " "},
        {"上午", " am "},
        {"下午", " pm "},
        {"晚上", " pm "},
        {"凌晨", " am "},
        {"早上", " am "},
        {"中午", " noon "},
        {"：", ":"},
        {"，", " "},
        // Accented letters in European month and day names.
        {"é", "e"},
        {"É", "e"},
        {"è", "e"},
        {"ê", "e"},
        {"û", "u"},
        {"ü", "u"},
        {"ä", "ae"},
        {"Ä", "ae"},
        {"á", "a"},
        {"Á", "a"},
        {"à", "a"},
        {"â", "a"},
        {"ã", "a"},
        {"í", "i"},
        {"ó", "o"},
        {"ô", "o"},
        {"ö", "o"},
        {"ú", "u"},
        {"ç", "c"},
    };
    static constexpr std::string_view kWeekdayPrefixes[] = {"星期", "礼拜", "禮拜", "周", "週"};
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        // Full-width digits U+FF10..U+FF19 are EF BC 90..99.
        if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBC) {
            const auto d = static_cast<unsigned char>(text[i + 2]);
            if (d >= 0x90 && d <= 0x99) {
                out.push_back(static_cast<char>('0' + (d - 0x90)));
                i += 3;
                continue;
            }
        }
        bool matched = false;
        for (const std::string_view prefix : kWeekdayPrefixes) {
            if (text.substr(i, prefix.size()) == prefix) {
                // Skip the prefix and the day character that follows (一..日, 天).
                i += prefix.size();
                if (i < text.size() && static_cast<unsigned char>(text[i]) >= 0xE0)
                    i += 3;
                out.push_back(' ');
                matched = true;
                break;
            }
        }
        if (matched)
            continue;
        for (const auto& rewrite : kRewrites) {
            if (text.substr(i, rewrite.from.size()) == rewrite.from) {
                out.append(rewrite.to);
                i += rewrite.from.size();
                matched = true;
                break;
            }
        }
        if (!matched) {
            out.push_back(' ');
            ++i;
            while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
                ++i;
        }
    }
    return out;
}

// A word of up to eight bytes as one number (little-endian), so that the word lists below
// compare as integers instead of one memcmp per candidate.
constexpr std::uint64_t packed(std::string_view word) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < word.size() && i < 8; ++i)
        value |= static_cast<std::uint64_t>(static_cast<unsigned char>(word[i])) << (8 * i);
    return value;
}

// Exact match of `word` (at most eight bytes) among `names`.
template <typename Entry, std::size_t N>
const Entry* find_word(std::string_view word, const Entry (&names)[N]) {
    if (word.size() > 8)
        return nullptr;
    const std::uint64_t key = packed(word);
    for (const Entry& entry : names)
        if (entry.key == key && entry.size == word.size())
            return &entry;
    return nullptr;
}

struct NumberedWord {
    std::uint64_t key;
    std::size_t size;
    int value;
    constexpr NumberedWord(std::string_view word, int v)
        : key(packed(word)), size(word.size()), value(v) {}
};

int month_from_name(std::string_view word) {
    static constexpr std::array<std::string_view, 12> kMonths = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    if (word.size() < 3)
        return 0;
    const std::uint64_t prefix = packed(word.substr(0, 3));
    for (std::size_t m = 0; m < kMonths.size(); ++m) {
        if (prefix != packed(kMonths[m]))
            continue;
        static constexpr std::array<std::string_view, 12> kFull = {
            "january", "february", "march",     "april",   "may",      "june",
            "july",    "august",   "september", "october", "november", "december"};
        if (word.size() == 3 || word == kFull[m] || (m == 8 && word == "sept") || word.size() == 4)
            return static_cast<int>(m) + 1;
    }
    // Other languages' abbreviations that feeds write in RFC 822 dates (accents were folded
    // before: "févr" arrives as "fevr"). Portuguese, Spanish, French, German, Italian, Dutch.
    static constexpr NumberedWord kLocalized[] = {
        {"fev", 2},  {"fevr", 2}, {"abr", 4},  {"mai", 5},  {"ago", 8},  {"set", 9},  {"out", 10},
        {"dez", 12}, {"ene", 1},  {"dic", 12}, {"janv", 1}, {"mars", 3}, {"avr", 4},  {"avril", 4},
        {"juin", 6}, {"juil", 7}, {"aout", 8}, {"okt", 10}, {"mrz", 3},  {"maer", 3}, {"mar", 3},
        {"gen", 1},  {"mag", 5},  {"giu", 6},  {"lug", 7},  {"ott", 10}, {"mei", 5},  {"dec", 12}};
    if (const NumberedWord* found = find_word(word, kLocalized))
        return found->value;
    return 0;
}

// English weekdays count by their first three letters ("Mon", "Monday", "Mond").
bool starts_with_weekday(std::string_view word) {
    static constexpr std::uint64_t kDays[] = {packed("mon"), packed("tue"), packed("wed"),
                                              packed("thu"), packed("fri"), packed("sat"),
                                              packed("sun")};
    return word.size() >= 3 && std::find(std::begin(kDays), std::end(kDays),
                                         packed(word.substr(0, 3))) != std::end(kDays);
}

bool is_weekday_name(std::string_view word) {
    if (starts_with_weekday(word))
        return true;
    // Portuguese, Spanish, French, German abbreviations.
    static constexpr NumberedWord kLocalized[] = {
        {"seg", 0}, {"ter", 0}, {"qua", 0}, {"qui", 0}, {"sex", 0}, {"sab", 0},
        {"dom", 0}, {"lun", 0}, {"mie", 0}, {"jue", 0}, {"vie", 0}, {"mer", 0},
        {"jeu", 0}, {"ven", 0}, {"sam", 0}, {"dim", 0}, {"mo", 0},  {"di", 0},
        {"mi", 0},  {"do", 0},  {"fr", 0},  {"sa", 0},  {"so", 0}};
    return find_word(word, kLocalized) != nullptr;
}

// Zone abbreviations feeds use, as minutes east of UTC. RFC 822's US zones keep their RFC
// meaning (CST is US Central) unless the source's timezone is Chinese (see cst_means_china).
std::optional<int> zone_offset(std::string_view word) {
    static constexpr NumberedWord kZones[] = {
        {"z", 0},       {"ut", 0},     {"utc", 0},    {"gmt", 0},    {"wet", 0},    {"est", -300},
        {"edt", -240},  {"cst", -360}, {"cdt", -300}, {"mst", -420}, {"mdt", -360}, {"pst", -480},
        {"pdt", -420},  {"et", -300},  {"ct", -360},  {"mt", -420},  {"pt", -480},  {"akst", -540},
        {"akdt", -480}, {"hst", -600}, {"ast", -240}, {"adt", -180}, {"nst", -210}, {"ndt", -150},
        {"bst", 60},    {"ist", 330},  {"cet", 60},   {"cest", 120}, {"met", 60},   {"mest", 120},
        {"eet", 120},   {"eest", 180}, {"west", 60},  {"msk", 180},  {"jst", 540},  {"kst", 540},
        {"hkt", 480},   {"sgt", 480},  {"awst", 480}, {"acst", 570}, {"aest", 600}, {"aedt", 660},
        {"nzst", 720},  {"nzdt", 780}, {"pht", 480},  {"wib", 420},  {"ict", 420},
    };
    if (const NumberedWord* found = find_word(word, kZones))
        return found->value;
    return std::nullopt;
}

struct DateParts {
    int year = -1, month = -1, day = -1;
    int hour = 0, minute = 0, second = 0;
    bool has_time = false;
    bool pm = false, am = false;
    std::optional<int> offset_minutes;
    std::optional<long long> epoch;

    bool has_date() const { return year >= 0 && month >= 0; }
};

int to_int(std::string_view digits) {
    int value = 0;
    for (char c : digits)
        value = value * 10 + (c - '0');
    return value;
}

int expand_year(std::string_view digits) {
    const int value = to_int(digits);
    if (digits.size() == 2)
        return value < 50 ? 2000 + value : 1900 + value;
    if (digits.size() == 3)
        return 1900 + value;  // a struct tm year, as some generators print
    return value;
}

class Tokenizer {
  public:
    // `cst_minutes`: what "CST" means for this source.
    Tokenizer(std::string_view text, int cst_minutes) : s_(text), cst_minutes_(cst_minutes) {}

    bool parse(DateParts& p) {
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (is_digit(c)) {
                if (!number(p))
                    return false;
            } else if (is_alpha(c)) {
                if (!word(p))
                    return false;
            } else if ((c == '+' || c == '-') && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]) &&
                       (p.has_time || (p.year >= 0 && p.day >= 0 && c == '+'))) {
                if (!offset(p))
                    return false;
            } else {
                ++i_;
            }
        }
        return true;
    }

  private:
    std::string_view digits() {
        const std::size_t start = i_;
        while (i_ < s_.size() && is_digit(s_[i_]))
            ++i_;
        return s_.substr(start, i_ - start);
    }

    bool number(DateParts& p) {
        const std::string_view first = digits();
        if (first.size() > 10)
            return false;
        const char next = i_ < s_.size() ? s_[i_] : '\0';
        // "10.30" is a time only after a complete date.
        if (next == ':' || (next == '.' && p.has_date() && p.day >= 0 && !p.has_time &&
                            i_ + 1 < s_.size() && is_digit(s_[i_ + 1]) && first.size() <= 2)) {
            return time(p, first);
        }
        if ((next == '-' || next == '/' || next == '.') && i_ + 1 < s_.size() &&
            is_digit(s_[i_ + 1]) && !p.has_date()) {
            return date_group(p, first, next);
        }
        if (first.size() == 8 && !p.has_date()) {  // 20240624
            p.year = to_int(first.substr(0, 4));
            p.month = to_int(first.substr(4, 2));
            p.day = to_int(first.substr(6, 2));
            if (next == 'T' || next == 't') {
                ++i_;
                const std::string_view clock = digits();
                if (clock.size() >= 4) {
                    p.has_time = true;
                    p.hour = to_int(clock.substr(0, 2));
                    p.minute = to_int(clock.substr(2, 2));
                    if (clock.size() >= 6)
                        p.second = to_int(clock.substr(4, 2));
                }
            }
            return true;
        }
        if (first.size() >= 9 && first.size() <= 10 && !p.has_date() && !p.has_time) {
            p.epoch = std::stoll(std::string(first));
            return true;
        }
        if (first.size() == 4 && p.year < 0) {
            p.year = to_int(first);
            return true;
        }
        if (first.size() <= 2 && p.day < 0 && (p.month >= 0 || p.year < 0)) {
            p.day = to_int(first);
            return true;
        }
        if (first.size() <= 2 && p.year < 0 && p.day >= 0) {
            p.year = expand_year(first);
            return true;
        }
        if (first.size() == 3 && p.year < 0 && p.day >= 0) {
            p.year = expand_year(first);
            return true;
        }
        return true;  // an extra number we cannot place is ignored
    }

    bool time(DateParts& p, std::string_view hours) {
        if (p.has_time || hours.size() > 2)
            return false;
        p.has_time = true;
        p.hour = to_int(hours);
        const char separator = s_[i_];
        ++i_;
        const std::string_view minutes = digits();
        if (minutes.empty()) {
            p.minute = 0;
            return true;  // "10时" → "10:"
        }
        if (minutes.size() > 2)
            return false;
        p.minute = to_int(minutes);
        if (i_ + 1 < s_.size() && s_[i_] == separator && is_digit(s_[i_ + 1])) {
            ++i_;
            const std::string_view seconds = digits();
            if (seconds.size() > 2)
                return false;
            p.second = to_int(seconds);
            if (i_ + 1 < s_.size() && (s_[i_] == '.' || s_[i_] == ',') && is_digit(s_[i_ + 1])) {
                ++i_;
                digits();  // fractions of a second are dropped
            }
        }
        return true;
    }

    bool date_group(DateParts& p, std::string_view first, char separator) {
        ++i_;
        const std::string_view second = digits();
        std::string_view third;
        if (i_ + 1 < s_.size() && s_[i_] == separator && is_digit(s_[i_ + 1])) {
            ++i_;
            third = digits();
        } else if (i_ < s_.size() && s_[i_] == separator) {
            ++i_;  // "2024年6月" → "2024-6-"
        }
        if (first.size() == 4) {  // Y-M-D, Y-M (W3CDTF)
            p.year = to_int(first);
            p.month = to_int(second);
            p.day = third.empty() ? 1 : to_int(third);
            if (second.size() > 2 || third.size() > 2)
                return false;
        } else if (third.size() == 4 || (third.size() == 2 && separator == '/')) {
            // D/M/Y or M/D/Y: day first unless the first number cannot be a month... or the
            // second cannot be a day.
            const int a = to_int(first), b = to_int(second);
            p.year = expand_year(third);
            if (a > 12 || separator == '.') {
                p.day = a;
                p.month = b;
            } else {
                p.month = a;
                p.day = b;
            }
        } else if (!third.empty() && first.size() <= 2) {
            p.year = expand_year(first);
            p.month = to_int(second);
            p.day = to_int(third);
        } else {
            return false;
        }
        // "T" or "t" between the date and the time.
        if (i_ < s_.size() && (s_[i_] == 'T' || s_[i_] == 't') && i_ + 1 < s_.size() &&
            is_digit(s_[i_ + 1]))
            ++i_;
        return true;
    }

    bool word(DateParts& p) {
        // Lower-cased into a small buffer; a longer word is no word of ours.
        char buffer[16];
        std::size_t size = 0;
        while (i_ < s_.size() && is_alpha(s_[i_])) {
            if (size < sizeof buffer)
                buffer[size] = lower(s_[i_]);
            ++size;
            ++i_;
        }
        if (size > sizeof buffer)  // only an English weekday's prefix can make it one of ours
            return starts_with_weekday(std::string_view(buffer, 3));
        const std::string_view text(buffer, size);
        if (const int month = month_from_name(text); month > 0) {
            // A second month name wins: the first was a weekday that spells like one
            // (Spanish and French "mar" for Tuesday).
            p.month = month;
            return true;
        }
        if (is_weekday_name(text))
            return true;
        if (text == "am" || text == "a") {
            p.am = true;
            return true;
        }
        if (text == "pm" || text == "p") {
            p.pm = true;
            return true;
        }
        if (text == "noon") {
            p.pm = true;
            return true;
        }
        if (text == "t" || text == "at" || text == "on" || text == "of" || text == "th" ||
            text == "st" || text == "nd" || text == "rd")
            return true;
        if (auto offset = text == "cst" ? cst_minutes_ : zone_offset(text)) {
            if (!p.offset_minutes)
                p.offset_minutes = *offset;
            // "GMT+8", "UTC+08:00": the offset that follows is relative to UTC.
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-') && i_ + 1 < s_.size() &&
                is_digit(s_[i_ + 1])) {
                p.offset_minutes.reset();
                return offset_value(p);
            }
            return true;
        }
        return false;  // an unknown word means we do not understand this text
    }

    bool offset(DateParts& p) { return offset_value(p); }

    bool offset_value(DateParts& p) {
        const int sign = s_[i_] == '-' ? -1 : 1;
        ++i_;
        const std::string_view first = digits();
        int hours = 0, minutes = 0;
        if (first.size() <= 2) {
            hours = to_int(first);
            if (i_ + 1 < s_.size() && s_[i_] == ':' && is_digit(s_[i_ + 1])) {
                ++i_;
                const std::string_view rest = digits();
                if (rest.size() != 2)
                    return false;
                minutes = to_int(rest);
            }
        } else if (first.size() == 4) {
            hours = to_int(first.substr(0, 2));
            minutes = to_int(first.substr(2, 2));
        } else {
            return false;
        }
        if (hours > 14 || minutes > 59)
            return false;
        if (!p.offset_minutes)
            p.offset_minutes = sign * (hours * 60 + minutes);
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
    int cst_minutes_;
};

// Zones (and their old names) where "CST" is China Standard Time, UTC+8: mainland China,
// Hong Kong, Macau, Taiwan. Urumqi's official clock is Beijing time too, though locals also
// keep UTC+6.
bool cst_means_china(std::string_view name) {
    static constexpr std::string_view kZones[] = {"Asia/Shanghai",
                                                  "Asia/Chongqing",
                                                  "Asia/Chungking",
                                                  "Asia/Harbin",
                                                  "Asia/Urumqi",
                                                  "Asia/Kashgar",
                                                  "PRC",
                                                  "Asia/Hong_Kong",
                                                  "Hongkong",
                                                  "Asia/Taipei",
                                                  "ROC",
                                                  "Asia/Macau",
                                                  "Asia/Macao"};
    return std::find(std::begin(kZones), std::end(kZones), name) != std::end(kZones);
}

}  // namespace

DateParser::DateParser(std::string_view timezone) {
    if (timezone.empty() || timezone == "UTC" || timezone == "Etc/UTC")
        return;
    try {
        zone_ = date::locate_zone(timezone);
        if (cst_means_china(timezone) || cst_means_china(zone_->name()))
            cst_minutes_ = 8 * 60;
    } catch (const std::exception& e) {
        throw Error(ErrorKind::config, "unknown timezone '" + std::string(timezone) + "'",
                    std::string(timezone));
    }
}

std::optional<UtcTime> DateParser::parse(std::string_view text) const {
    if (text.size() > 200)
        return std::nullopt;
    const bool ascii = std::all_of(text.begin(), text.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    const std::string rewritten = ascii ? std::string() : rewrite_cjk(text);
    const std::string_view input = ascii ? text : std::string_view(rewritten);
    DateParts p;
    Tokenizer tokenizer(input, cst_minutes_);
    if (!tokenizer.parse(p))
        return std::nullopt;
    if (p.epoch) {
        if (p.has_time || p.month >= 0)
            return std::nullopt;
        return UtcTime(std::chrono::seconds(*p.epoch));
    }
    if (p.year < 0 || p.month < 0)
        return std::nullopt;
    if (p.day < 0)
        p.day = 1;
    if (p.pm && p.hour < 12)
        p.hour += 12;
    if (p.am && p.hour == 12)
        p.hour = 0;
    if (p.second == 60)
        p.second = 59;  // a leap second
    if (p.hour > 24 || p.minute > 59 || p.second > 59 || (p.hour == 24 && (p.minute || p.second)))
        return std::nullopt;
    if (p.year < 1 || p.year > 9999)
        return std::nullopt;
    const date::year_month_day ymd{date::year{p.year}, date::month{static_cast<unsigned>(p.month)},
                                   date::day{static_cast<unsigned>(p.day)}};
    if (!ymd.ok())
        return std::nullopt;
    const auto clock = std::chrono::hours(p.hour) + std::chrono::minutes(p.minute) +
                       std::chrono::seconds(p.second);
    if (p.offset_minutes) {
        return UtcTime(date::sys_days(ymd).time_since_epoch() + clock -
                       std::chrono::minutes(*p.offset_minutes));
    }
    const auto local = date::local_seconds(date::local_days(ymd).time_since_epoch() + clock);
    if (zone_ == nullptr)
        return UtcTime(local.time_since_epoch());
    // A time that a DST change skipped or repeated takes the earlier reading.
    return zone_->to_sys(local, date::choose::earliest);
}

std::optional<UtcTime> parse_feed_date(std::string_view text, std::string_view timezone) {
    return DateParser(timezone).parse(text);
}

}  // namespace chuhai::feed
