#pragma once
// A digest with everything a renderer must cope with: several topics, CJK text, five sources on
// one story, hostile titles and links from tests/fixtures/digest/, history for the chart and a
// source-health footer. Shared by the digest and deliver tests.

#include "digest/build.h"

namespace chuhai::testing {

digest::DigestInputs sample_inputs();
digest::Digest sample_digest();

// A digest of `stories` stories spread over `topics` topics, for limits and benchmarks.
digest::Digest large_digest(int stories, int topics);

}  // namespace chuhai::testing
