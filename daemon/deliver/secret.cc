#include "deliver/secret.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdlib>

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
        const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
        if (directory == nullptr || *directory == '\0') {
            throw Error(ErrorKind::config,
                        name + ": credential '" + credential +
                            "' needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential=)");
        }
        path = std::filesystem::path(directory) / credential;
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
