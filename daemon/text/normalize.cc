#include "text/normalize.h"

#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <limits>

#include "common/error.h"

namespace chuhai::text {

namespace {

const icu::Normalizer2& nfkc_casefold() {
    // ICU owns the instance; it lives for the whole process.
    static const icu::Normalizer2* instance = [] {
        UErrorCode status = U_ZERO_ERROR;
        const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
        if (U_FAILURE(status) || n == nullptr) {
            throw Error(ErrorKind::internal,
                        std::string("ICU NFKC_Casefold unavailable: ") + u_errorName(status));
        }
        return n;
    }();
    return *instance;
}

// For ASCII, NFKC_Casefold is exactly ASCII lower-casing: no ASCII character has a compatibility
// decomposition or is default-ignorable. Returns false (with `out` partly written) at the first
// non-ASCII byte.
bool lower_ascii(std::string_view in, std::string& out) {
    out.resize(in.size());
    char* dst = out.data();
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c >= 0x80)
            return false;
        dst[i] = static_cast<char>(c + ((static_cast<unsigned>(c) - 'A' < 26u) ? 32 : 0));
    }
    return true;
}

// ICU's UTF-8 normaliser copies ill-formed bytes through unchanged; fold() promises U+FFFD for
// them (as the UTF-16 path always did), so invalid input is repaired first. Returns false when
// the input is already valid and nothing was written.
bool repair_utf8(std::string_view in, std::string& out, OffsetMap& to_original) {
    const auto* s = reinterpret_cast<const uint8_t*>(in.data());
    const auto length = static_cast<int32_t>(in.size());
    int32_t i = 0;
    bool repaired = false;
    int32_t copied_up_to = 0;
    while (i < length) {
        const int32_t start = i;
        // Well-formed three-byte sequences (all of CJK) are checked inline; U8_NEXT handles
        // the rest, and every ill-formed case.
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        if (s[i] >= 0xE1 && s[i] <= 0xEC && i + 2 < length && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        UChar32 c;
        U8_NEXT(s, i, length, c);
        if (c >= 0)
            continue;
        if (!repaired) {
            out.clear();
            repaired = true;
        }
        out.append(in.data() + copied_up_to, static_cast<std::size_t>(start - copied_up_to));
        to_original.add_change(out.size(), 3, static_cast<std::size_t>(start),
                               static_cast<std::size_t>(i - start));
        out.append("\xEF\xBF\xBD");
        copied_up_to = i;
    }
    if (repaired)
        out.append(in.data() + copied_up_to, static_cast<std::size_t>(length - copied_up_to));
    return repaired;
}

void check_size(std::string_view utf8) {
    // ICU takes int32_t lengths and OffsetMap stores 32-bit offsets.
    if (utf8.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max() / 4)) {
        throw Error(ErrorKind::internal,
                    "text too large to fold (" + std::to_string(utf8.size()) + " bytes)");
    }
}

void normalize_utf8(std::string_view valid, std::string& out, icu::Edits* edits) {
    out.clear();
    icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(valid.size()));
    UErrorCode status = U_ZERO_ERROR;
    nfkc_casefold().normalizeUTF8(
        0, icu::StringPiece(valid.data(), static_cast<int32_t>(valid.size())), sink, edits, status);
    if (U_FAILURE(status)) {
        throw Error(ErrorKind::internal,
                    std::string("NFKC_Casefold failed: ") + u_errorName(status));
    }
}

}  // namespace

void OffsetMap::add_change(std::size_t derived_offset, std::size_t derived_length,
                           std::size_t source_offset, std::size_t source_length) {
    changes_.push_back(Change{
        static_cast<std::uint32_t>(derived_offset), static_cast<std::uint32_t>(derived_length),
        static_cast<std::uint32_t>(source_offset), static_cast<std::uint32_t>(source_length)});
}

std::size_t OffsetMap::to_source(std::size_t derived_offset, bool is_end) const {
    // The last change that starts at or before the offset decides the shift.
    auto it = std::upper_bound(
        changes_.begin(), changes_.end(), derived_offset,
        [](std::size_t offset, const Change& change) { return offset < change.derived; });
    if (it == changes_.begin())
        return derived_offset;
    const Change& change = *(it - 1);
    const std::size_t derived_end = std::size_t{change.derived} + change.derived_length;
    const std::size_t source_end = std::size_t{change.source} + change.source_length;
    if (derived_offset >= derived_end)
        return source_end + (derived_offset - derived_end);
    if (derived_offset == change.derived)
        return change.source;
    return is_end ? source_end : change.source;
}

std::string fold(std::string_view utf8) {
    check_size(utf8);
    std::string out;
    if (lower_ascii(utf8, out))
        return out;
    std::string repaired;
    OffsetMap unused;
    const std::string_view valid = repair_utf8(utf8, repaired, unused) ? repaired : utf8;
    normalize_utf8(valid, out, nullptr);
    return out;
}

void fold_mapped(std::string_view utf8, FoldedText& out) {
    check_size(utf8);
    out.folded_to_repaired.clear();
    out.repaired_to_original.clear();
    if (lower_ascii(utf8, out.text))
        return;
    std::string repaired;
    const std::string_view valid =
        repair_utf8(utf8, repaired, out.repaired_to_original) ? repaired : utf8;
    icu::Edits edits;
    normalize_utf8(valid, out.text, &edits);
    UErrorCode status = U_ZERO_ERROR;
    icu::Edits::Iterator change = edits.getFineChangesIterator();
    while (change.next(status)) {
        if (!change.hasChange())
            continue;
        out.folded_to_repaired.add_change(static_cast<std::size_t>(change.destinationIndex()),
                                          static_cast<std::size_t>(change.newLength()),
                                          static_cast<std::size_t>(change.sourceIndex()),
                                          static_cast<std::size_t>(change.oldLength()));
    }
    if (U_FAILURE(status)) {
        throw Error(ErrorKind::internal,
                    std::string("NFKC_Casefold edits failed: ") + u_errorName(status));
    }
}

}  // namespace chuhai::text
