#pragma once
// A problem found in a rules directory, located at FILE:LINE:COL (1-based) in the rule file.

#include <string>
#include <vector>

namespace chuhai::match {

enum class Severity { error, warning };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;  // the rule file's path as the directory was given, e.g. rules/lists/x.yaml
    int line = 0;      // 1-based; 0 when the problem concerns the whole file or directory
    int column = 0;
    std::string message;

    // "FILE:LINE:COL" (or "FILE" when there is no line).
    std::string where() const;
    // "FILE:LINE:COL: message" for errors, "FILE:LINE:COL: warning: message" for warnings.
    std::string to_string() const;
};

bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace chuhai::match
