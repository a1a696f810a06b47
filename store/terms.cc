#include "store/terms.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <string>
#include <vector>

#include "text/normalize.h"

namespace chuhai::store {

namespace {

enum class CharClass { separator, word, cjk };

// The CJK Unified Ideographs and Extension A blocks: Han, and unchanged by NFKC case folding.
// Checked before asking ICU because Chinese text is almost entirely made of them.
bool is_plain_han(UChar32 c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF);
}

CharClass classify(UChar32 c) {
    if (c < 0x80) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        return alnum ? CharClass::word : CharClass::separator;
    }
    if (is_plain_han(c))
        return CharClass::cjk;
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &status);
    if (U_SUCCESS(status) &&
        (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA)) {
        return CharClass::cjk;
    }
    // Letters, digits and the combining marks that belong to them (accents written as separate
    // code points) make words.
    if (u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0)
        return CharClass::word;
    return CharClass::separator;
}

// The longest prefix of `s` of at most `limit` bytes that ends on a character boundary.
std::string_view cut_to(std::string_view s, std::size_t limit) {
    if (s.size() <= limit)
        return s;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80)
        --end;
    return s.substr(0, end);
}

class Splitter {
  public:
    Splitter(std::string_view text, TermMode mode, TermSink sink)
        : text_(text), mode_(mode), sink_(sink) {}

    bool run() {
        std::size_t run_begin = 0;
        CharClass run_class = CharClass::separator;
        bool run_ascii = true;      // a word run that folds by lowering ASCII
        bool run_plain_han = true;  // a CJK run that folding leaves as it is
        int32_t i = 0;
        const auto length = static_cast<int32_t>(text_.size());
        const auto* bytes = reinterpret_cast<const uint8_t*>(text_.data());
        while (i < length) {
            const auto char_begin = static_cast<std::size_t>(i);
            UChar32 c;
            U8_NEXT(bytes, i, length, c);
            const CharClass cls = c < 0 ? CharClass::separator : classify(c);
            if (cls != run_class) {
                if (!flush(run_class, run_begin, char_begin, run_ascii, run_plain_han))
                    return false;
                run_class = cls;
                run_begin = char_begin;
                run_ascii = true;
                run_plain_han = true;
                cjk_offsets_.clear();
            }
            if (c >= 0x80)
                run_ascii = false;
            if (cls == CharClass::cjk) {
                cjk_offsets_.push_back(char_begin);
                if (!is_plain_han(c))
                    run_plain_han = false;
            }
        }
        return flush(run_class, run_begin, text_.size(), run_ascii, run_plain_han);
    }

  private:
    bool flush(CharClass cls, std::size_t begin, std::size_t end, bool ascii, bool plain_han) {
        if (begin == end)
            return true;
        switch (cls) {
            case CharClass::separator:
                return true;
            case CharClass::word:
                return emit_word(begin, end, ascii);
            case CharClass::cjk:
                cjk_offsets_.push_back(end);
                return emit_cjk(begin, end, plain_han);
        }
        return true;
    }

    bool emit_word(std::size_t begin, std::size_t end, bool ascii) {
        const std::string_view original = text_.substr(begin, end - begin);
        if (ascii) {
            const std::string_view cut = cut_to(original, kMaxTermBytes);
            if (std::none_of(cut.begin(), cut.end(),
                             [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
                return sink_(Term{cut, begin, end, Term::Kind::word});  // already folded
            buffer_.assign(cut);
            for (char& ch : buffer_) {
                if (ch >= 'A' && ch <= 'Z')
                    ch = static_cast<char>(ch - 'A' + 'a');
            }
        } else {
            buffer_ = text::fold(original);
            buffer_.resize(cut_to(buffer_, kMaxTermBytes).size());
        }
        if (buffer_.empty())
            return true;
        return sink_(Term{buffer_, begin, end, Term::Kind::word});
    }

    // cjk_offsets_ holds the byte offset of every character of the run and, last, the run's end.
    bool emit_cjk(std::size_t begin, std::size_t end, bool plain_han) {
        if (plain_han) {
            // Folding changes nothing: the terms are slices of the text itself.
            auto emit = [&](std::size_t first, std::size_t past_last) {
                const std::size_t from = cjk_offsets_[first];
                const std::size_t to = cjk_offsets_[past_last];
                const auto kind =
                    past_last - first == 1 ? Term::Kind::cjk_single : Term::Kind::cjk_bigram;
                return sink_(Term{text_.substr(from, to - from), from, to, kind});
            };
            return emit_run(cjk_offsets_.size() - 1, emit);
        }
        folded_ = text::fold(text_.substr(begin, end - begin));
        // Character boundaries of the folded run. Folding CJK text almost never changes the
        // number of characters; when it does (compatibility forms that expand), every term of
        // the run is given the whole run's offsets, which still highlights the right place.
        folded_offsets_.clear();
        const auto length = static_cast<int32_t>(folded_.size());
        const auto* bytes = reinterpret_cast<const uint8_t*>(folded_.data());
        for (int32_t i = 0; i < length;) {
            folded_offsets_.push_back(static_cast<std::size_t>(i));
            U8_FWD_1(bytes, i, length);
        }
        folded_offsets_.push_back(folded_.size());
        const std::size_t count = folded_offsets_.size() - 1;
        const bool aligned = count == cjk_offsets_.size() - 1;
        auto original_range = [&](std::size_t first, std::size_t past_last) {
            return aligned ? std::pair{cjk_offsets_[first], cjk_offsets_[past_last]}
                           : std::pair{begin, end};
        };
        auto emit = [&](std::size_t first, std::size_t past_last) {
            const auto [from, to] = original_range(first, past_last);
            const std::string_view term(folded_.data() + folded_offsets_[first],
                                        folded_offsets_[past_last] - folded_offsets_[first]);
            const auto kind =
                past_last - first == 1 ? Term::Kind::cjk_single : Term::Kind::cjk_bigram;
            return sink_(Term{term, from, to, kind});
        };
        return emit_run(count, emit);
    }

    // The bigrams of a run of `count` characters, or its one character; and, when indexing, its
    // last character alone.
    template <class Emit>
    bool emit_run(std::size_t count, Emit& emit) {
        if (count == 1)
            return emit(0, 1);
        for (std::size_t k = 0; k + 1 < count; ++k) {
            if (!emit(k, k + 2))
                return false;
        }
        if (mode_ == TermMode::index)
            return emit(count - 1, count);
        return true;
    }

    std::string_view text_;
    TermMode mode_;
    TermSink sink_;
    std::string buffer_;
    std::string folded_;
    std::vector<std::size_t> cjk_offsets_;
    std::vector<std::size_t> folded_offsets_;
};

}  // namespace

bool split_terms(std::string_view utf8, TermMode mode, TermSink sink) {
    return Splitter(utf8, mode, sink).run();
}

}  // namespace chuhai::store
