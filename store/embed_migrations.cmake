# Writes a C++ source holding every migration's SQL, so an installed chuhai needs no .sql files.
# Run at build time: cmake -DOUTPUT=file.cc -DMIGRATIONS_DIR=dir -P embed_migrations.cmake
# Migration files are named NNNN_description.sql and must be numbered 1, 2, 3, ... without gaps.

file(GLOB migration_files "${MIGRATIONS_DIR}/*.sql")
list(SORT migration_files)

set(entries "")
set(expected 1)
foreach(path IN LISTS migration_files)
    get_filename_component(name "${path}" NAME)
    if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
        message(FATAL_ERROR "migration ${name}: expected NNNN_description.sql")
    endif()
    math(EXPR version "${CMAKE_MATCH_1}")
    if(NOT version EQUAL expected)
        message(FATAL_ERROR "migration ${name}: expected number ${expected} (no gaps, no repeats)")
    endif()
    math(EXPR expected "${expected} + 1")
    file(READ "${path}" sql)
    string(FIND "${sql}" ")chuhai_sql\"" clash)
    if(NOT clash EQUAL -1)
        message(FATAL_ERROR "migration ${name} contains the raw-string delimiter")
    endif()
    string(APPEND entries "    {${version}, \"${name}\", R\"chuhai_sql(${sql})chuhai_sql\"},\n")
endforeach()
if(expected EQUAL 1)
    message(FATAL_ERROR "no migrations in ${MIGRATIONS_DIR}")
endif()

set(content "// Generated from store/migrations/*.sql by store/embed_migrations.cmake. Do not edit.
#include \"store/migrations.h\"

namespace chuhai::store {

namespace {
const Migration kMigrations[] = {
${entries}};
}  // namespace

std::span<const Migration> embedded_migrations() {
    return kMigrations;
}

}  // namespace chuhai::store
")

# Rewrite only on change, so an unrelated reconfigure does not recompile the store.
if(EXISTS "${OUTPUT}")
    file(READ "${OUTPUT}" previous)
    if(previous STREQUAL content)
        return()
    endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
