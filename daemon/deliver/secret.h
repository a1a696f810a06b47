#pragma once
// Passwords and signing keys: read from a file or a systemd credential, never from the
// configuration file itself, never printed. Secret has no stream operator and no implicit
// conversion, so it cannot slip into a log line by accident; its memory is wiped on destruction.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::deliver {

class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret& other) = default;
    Secret(Secret&& other) noexcept;
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    bool empty() const noexcept { return value_.empty(); }
    // The secret itself, for handing to libcurl or OpenSSL only.
    const std::string& reveal() const noexcept { return value_; }

  private:
    void wipe() noexcept;
    std::string value_;
};

// Where a secret comes from: exactly one of the two, or neither (no secret).
struct SecretSource {
    std::filesystem::path file;  // `password_file:` / `secret_file:`
    std::string credential;      // `password_credential:` — see find_credential
    bool empty() const { return file.empty() && credential.empty(); }
};

// Where systemd's LoadCredential= looks for a credential given by a bare name: /etc/credstore,
// then /run/credstore. $CHUHAI_CREDSTORE_PATH (folders separated by ':') replaces the list, for
// tests only.
std::vector<std::filesystem::path> credstore_dirs();

// The file of systemd credential `credential`: in $CREDENTIALS_DIRECTORY when it is set (under
// the service), otherwise the first of `credstores` that holds it, so the same configuration
// works for commands run by hand as root. Throws Error(config) naming `what` and every place
// tried when none holds it. The name must already be a plain file name.
std::filesystem::path find_credential(
    const std::string& credential, const std::string& what,
    const std::vector<std::filesystem::path>& credstores = credstore_dirs());

// Reads the secret; one trailing newline (CRLF or LF) is dropped, nothing else. `what` names the
// secret in errors ("SMTP password of channel daily"). Throws Error(config) when both or neither
// source is given, the credential name is not a plain file name, a credential is found neither in
// $CREDENTIALS_DIRECTORY nor in a credential store (find_credential), or the file is missing,
// unreadable, empty or larger than 64 KiB; the errors name the file, never its contents. A file
// readable by group or others is accepted with a warning in the log. The secret is registered with
// the log's redaction (register_secret), so no log line can show it; one shorter than
// kMinSecretLength cannot be, and is accepted with a warning.
Secret load_secret(const SecretSource& source, std::string_view what);

}  // namespace chuhai::deliver
