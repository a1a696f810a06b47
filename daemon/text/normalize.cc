#include "text/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

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

}  // namespace

std::string fold(std::string_view utf8) {
    const icu::UnicodeString source = icu::UnicodeString::fromUTF8(
        icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString folded = nfkc_casefold().normalize(source, status);
    if (U_FAILURE(status)) {
        throw Error(ErrorKind::internal,
                    std::string("NFKC_Casefold failed: ") + u_errorName(status));
    }
    std::string out;
    folded.toUTF8String(out);
    return out;
}

}  // namespace chuhai::text
