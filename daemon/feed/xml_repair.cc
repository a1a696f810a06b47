#include "feed/xml_repair.h"

#include <algorithm>
#include <vector>

namespace chuhai::feed {

namespace {

bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool is_name_char(unsigned char c) {
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_forbidden_control(unsigned char c) {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// True when `text` (starting at '&') is a syntactically complete reference: "&name;" or
// "&#digits;" / "&#xhex;". Unknown names are left for the text decoder to judge.
bool is_reference(std::string_view text) {
    std::size_t i = 1;
    if (i < text.size() && text[i] == '#') {
        ++i;
        const bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
        if (hex)
            ++i;
        const std::size_t start = i;
        while (
            i < text.size() && i - start < 10 &&
            ((text[i] >= '0' && text[i] <= '9') ||
             (hex && ((text[i] >= 'a' && text[i] <= 'f') || (text[i] >= 'A' && text[i] <= 'F')))))
            ++i;
        return i > start && i < text.size() && text[i] == ';';
    }
    const std::size_t start = i;
    while (i < text.size() && i - start < 32 && is_name_char(static_cast<unsigned char>(text[i])))
        ++i;
    return i > start && i < text.size() && text[i] == ';';
}

struct OpenElement {
    std::string name;
    std::size_t output_offset;  // where its start tag begins in the output
};

class Repairer {
  public:
    Repairer(std::string_view in, std::size_t max_depth) : in_(in), max_depth_(max_depth) {
        result_.xml.reserve(in.size() + 64);
    }

    RepairedXml run() {
        while (i_ < in_.size()) {
            const char c = in_[i_];
            if (c == '<')
                markup();
            else
                text_until_markup();
        }
        finish();
        return std::move(result_);
    }

  private:
    std::string& out() { return result_.xml; }

    void text_until_markup() {
        while (i_ < in_.size() && in_[i_] != '<') {
            const auto c = static_cast<unsigned char>(in_[i_]);
            if (c == '&') {
                if (is_reference(in_.substr(i_)))
                    out().push_back('&');
                else
                    out() += "&amp;";
            } else if (c == '>') {
                out() += "&gt;";
            } else if (!is_forbidden_control(c)) {
                out().push_back(static_cast<char>(c));
            }
            ++i_;
        }
    }

    // Copies a section that ends with `terminator`; returns false when the input ends first.
    bool copy_section(std::size_t skip, std::string_view terminator, bool keep) {
        const std::size_t end = in_.find(terminator, i_ + skip);
        if (end == std::string_view::npos) {
            i_ = in_.size();
            return false;
        }
        if (keep) {
            for (std::size_t k = i_; k < end + terminator.size(); ++k)
                if (!is_forbidden_control(static_cast<unsigned char>(in_[k])))
                    out().push_back(in_[k]);
        }
        i_ = end + terminator.size();
        return true;
    }

    void skip_doctype() {
        // <!DOCTYPE name [ internal subset ]>: the subset may hold '>' inside declarations.
        std::size_t k = i_ + 9;
        int brackets = 0;
        char quote = 0;
        for (; k < in_.size(); ++k) {
            const char c = in_[k];
            if (quote) {
                if (c == quote)
                    quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '[') {
                ++brackets;
            } else if (c == ']') {
                brackets = std::max(0, brackets - 1);
            } else if (c == '>' && brackets == 0) {
                break;
            }
        }
        i_ = k < in_.size() ? k + 1 : in_.size();
    }

    void markup() {
        const std::string_view rest = in_.substr(i_);
        if (rest.substr(0, 4) == "<!--") {
            if (copy_section(4, "-->", false))
                return;
            return;
        }
        if (rest.substr(0, 9) == "<![CDATA[") {
            const std::size_t before = out().size();
            if (!copy_section(9, "]]>", true))
                out().resize(before);  // a cut-off CDATA section: the document ended inside it
            return;
        }
        if (rest.size() >= 9 &&
            (rest.substr(0, 9) == "<!DOCTYPE" || rest.substr(0, 9) == "<!doctype")) {
            skip_doctype();
            return;
        }
        if (rest.substr(0, 2) == "<?" || rest.substr(0, 2) == "<!") {
            const std::size_t end = in_.find('>', i_ + 2);
            i_ = end == std::string_view::npos ? in_.size() : end + 1;
            return;
        }
        if (rest.size() >= 2 && rest[1] == '/') {
            end_tag();
            return;
        }
        if (rest.size() >= 2 && is_name_start(static_cast<unsigned char>(rest[1]))) {
            start_tag();
            return;
        }
        out() += "&lt;";
        ++i_;
    }

    std::string read_name() {
        std::string name;
        while (i_ < in_.size() && is_name_char(static_cast<unsigned char>(in_[i_])))
            name.push_back(in_[i_++]);
        return name;
    }

    void skip_spaces() {
        while (i_ < in_.size() && is_space(in_[i_]))
            ++i_;
    }

    void start_tag() {
        const std::size_t tag_start = out().size();
        ++i_;  // '<'
        const std::string name = read_name();
        std::string tag = "<" + name;
        std::vector<std::string> attribute_names;
        bool self_closing = false;
        bool complete = false;
        while (i_ < in_.size()) {
            skip_spaces();
            if (i_ >= in_.size())
                break;
            const char c = in_[i_];
            if (c == '>') {
                ++i_;
                complete = true;
                break;
            }
            if (c == '/' && i_ + 1 < in_.size() && in_[i_ + 1] == '>') {
                i_ += 2;
                self_closing = true;
                complete = true;
                break;
            }
            if (c == '<') {
                complete = true;  // "<a <b>": the tag ended without its '>'
                break;
            }
            if (!is_name_start(static_cast<unsigned char>(c))) {
                ++i_;  // junk between attributes
                continue;
            }
            const std::string attribute = read_name();
            skip_spaces();
            std::string value;
            bool has_value = false;
            if (i_ < in_.size() && in_[i_] == '=') {
                ++i_;
                skip_spaces();
                has_value = true;
                if (i_ < in_.size() && (in_[i_] == '"' || in_[i_] == '\'')) {
                    const char quote = in_[i_];
                    const std::size_t end = in_.find(quote, i_ + 1);
                    if (end == std::string_view::npos) {
                        i_ = in_.size();
                        break;  // cut off inside a value
                    }
                    value.assign(in_.substr(i_ + 1, end - i_ - 1));
                    i_ = end + 1;
                } else {
                    while (i_ < in_.size() && !is_space(in_[i_]) && in_[i_] != '>' &&
                           !(in_[i_] == '/' && i_ + 1 < in_.size() && in_[i_ + 1] == '>'))
                        value.push_back(in_[i_++]);
                }
            }
            if (std::find(attribute_names.begin(), attribute_names.end(), attribute) !=
                attribute_names.end())
                continue;
            attribute_names.push_back(attribute);
            tag += ' ';
            tag += attribute;
            tag += "=\"";
            append_attribute_value(has_value ? value : attribute, tag);
            tag += '"';
        }
        if (!complete)
            return;  // the document ended inside the tag
        if (stack_.size() >= max_depth_) {
            result_.too_deep = true;
            return;
        }
        if (self_closing) {
            tag += "/>";
            out() += tag;
            return;
        }
        tag += '>';
        out() += tag;
        stack_.push_back({name, tag_start});
    }

    void append_attribute_value(std::string_view value, std::string& tag) {
        for (std::size_t k = 0; k < value.size(); ++k) {
            const auto c = static_cast<unsigned char>(value[k]);
            if (c == '<')
                tag += "&lt;";
            else if (c == '"')
                tag += "&quot;";
            else if (c == '&' && !is_reference(value.substr(k)))
                tag += "&amp;";
            else if (!is_forbidden_control(c))
                tag.push_back(static_cast<char>(c));
        }
    }

    void end_tag() {
        i_ += 2;  // "</"
        const std::string name = read_name();
        const std::size_t close = in_.find('>', i_);
        const std::size_t next_open = in_.find('<', i_);
        if (close == std::string_view::npos) {
            i_ = in_.size();
            return;  // cut off inside the end tag: finish() closes what is open
        }
        // "</a <b>": the end tag lacks its '>'.
        i_ = (next_open != std::string_view::npos && next_open < close) ? next_open : close + 1;
        if (name.empty())
            return;
        // Close up to the nearest open element of that name; drop the tag if none is open.
        for (std::size_t k = stack_.size(); k-- > 0;) {
            if (stack_[k].name != name)
                continue;
            while (stack_.size() > k + 1) {
                close_top();
                ++result_.unclosed_elements;
            }
            close_top();
            return;
        }
        ++result_.unmatched_end_tags;
    }

    void close_top() {
        out() += "</";
        out() += stack_.back().name;
        out() += '>';
        stack_.pop_back();
    }

    void finish() {
        // Drop an item or entry the document ended inside, with everything after its start.
        for (std::size_t k = 0; k < stack_.size(); ++k) {
            if (is_entry_element_name(stack_[k].name)) {
                out().resize(stack_[k].output_offset);
                stack_.resize(k);
                result_.cut_inside_entry = true;
                break;
            }
        }
        result_.unclosed_elements += stack_.size();
        while (!stack_.empty())
            close_top();
    }

    std::string_view in_;
    std::size_t max_depth_;
    std::size_t i_ = 0;
    std::vector<OpenElement> stack_;
    RepairedXml result_;
};

}  // namespace

bool is_entry_element_name(std::string_view name) {
    const std::size_t colon = name.rfind(':');
    if (colon != std::string_view::npos)
        name.remove_prefix(colon + 1);
    return name == "item" || name == "entry";
}

RepairedXml repair_xml(std::string_view document, std::size_t max_depth) {
    return Repairer(document, max_depth).run();
}

}  // namespace chuhai::feed
