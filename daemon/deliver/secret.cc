#include "deliver/secret.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdlib>
#include <system_error>

#include "common/error.h"
#include "common/file.h"
#include "common/log.h"

namespace chuhai::deliver {

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
    other.wipe();
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() noexcept {
    if (!value_.empty())
        OPENSSL_cleanse(value_.data(), value_.size());
    value_.clear();
}

std::vector<std::filesystem::path> credstore_dirs() {
    // Tests point this elsewhere; it is not a documented setting.
    const char* override_path = std::getenv("CHUHAI_CREDSTORE_PATH");
    if (override_path == nullptr || *override_path == '\0')
        return {"/etc/credstore", "/run/credstore"};
    std::vector<std::filesystem::path> dirs;
    std::string_view rest(override_path);
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string_view dir = rest.substr(0, colon);
        if (!dir.empty())
            dirs.emplace_back(dir);
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
    return dirs;
}

std::filesystem::path find_credential(const std::string& credential, const std::string& what,
                                      const std::vector<std::filesystem::path>& credstores) {
    const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
    if (directory != nullptr && *directory != '\0')
        return std::filesystem::path(directory) / credential;
    // Outside the service (`sudo chuhai digest test`, `chuhai once` by hand) there is no
    // $CREDENTIALS_DIRECTORY: read the file where LoadCredential= would have found it.
    std::string tried;
    for (const auto& dir : credstores) {
        const auto candidate = dir / credential;
        std::error_code ec;
        if (std::filesystem::exists(candidate, ec))
            return candidate;
        if (!tried.empty())
            tried += ", ";
        tried += candidate.string();
        // /etc/credstore is 0700 root: a user who cannot look inside should hear why.
        if (ec == std::errc::permission_denied)
            tried += " (permission denied)";
    }
    throw Error(ErrorKind::config,
                what + ": credential '" + credential +
                    "' not found: $CREDENTIALS_DIRECTORY is not set (systemd's LoadCredential= "
                    "sets it) and it is not in " +
                    (tried.empty() ? std::string("any credential store") : tried));
}

Secret load_secret(const SecretSource& source, std::string_view what) {
    const std::string name(what);
    if (!source.file.empty() && !source.credential.empty()) {
        throw Error(ErrorKind::config,
                    name + ": give either a file or a systemd credential, not both");
    }
    std::filesystem::path path = source.file;
    if (!source.credential.empty()) {
        const std::string& credential = source.credential;
        if (credential.find('/') != std::string::npos || credential == "." || credential == "..") {
            throw Error(ErrorKind::config,
                        name + ": credential name '" + credential + "' must be a plain file name");
        }
        path = find_credential(credential, name);
    }
    if (path.empty())
        throw Error(ErrorKind::config, name + ": no password file or credential given");

    std::string value;
    try {
        value = read_file(path, 64 * 1024);
    } catch (const Error& e) {
        throw Error(ErrorKind::config, name + ": " + e.message(), path.string());
    }
    if (value.size() >= 2 && value.ends_with("\r\n"))
        value.resize(value.size() - 2);
    else if (!value.empty() && value.back() == '\n')
        value.pop_back();
    if (value.empty())
        throw Error(ErrorKind::config, name + ": the file is empty", path.string());

    // Masked in every log line from now on, whatever later code does with it. A secret too
    // short to mask without garbling every line is still used, with a warning.
    if (value.size() < kMinSecretLength) {
        spdlog::warn("{}: {} holds fewer than {} characters, too short to be masked in logs", name,
                     path.string(), kMinSecretLength);
    }
    register_secret(value);
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        spdlog::warn("{}: {} is readable by other users; chmod 600 it", name, path.string());
    }
    return Secret(std::move(value));
}

}  // namespace chuhai::deliver
