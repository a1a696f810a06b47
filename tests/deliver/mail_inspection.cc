#include "tests/deliver/mail_inspection.h"

#include <stdexcept>

#include "tests/deliver/server_process.h"
#include "tests/support/test_support.h"

namespace chuhai::testing {

nlohmann::json inspect_mail_file(const std::filesystem::path& path) {
    const auto result =
        run_command({kSystemPython, deliver_script("inspect_mail.py").string(), path.string()});
    if (result.exit_code != 0)
        throw std::runtime_error("inspect_mail.py failed on " + path.string());
    return nlohmann::json::parse(result.output);
}

nlohmann::json inspect_mail(const std::string& message) {
    TempDir dir;
    return inspect_mail_file(dir.write("message.eml", message));
}

nlohmann::json part_of(const nlohmann::json& inspection, const std::string& content_type) {
    for (const auto& part : inspection["parts"]) {
        if (part["content_type"] == content_type)
            return part;
    }
    return nullptr;
}

}  // namespace chuhai::testing
