#pragma once
// A data file compiled into the binary by chuhai_embed_files() (see scripts/embed-files.cmake).

#include <span>
#include <string_view>

namespace chuhai {

struct EmbeddedFile {
    std::string_view name;  // relative to the folder it was embedded from
    std::string_view contents;
};

}  // namespace chuhai
