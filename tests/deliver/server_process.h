#pragma once
// Real peers for the deliver tests: child processes (the SMTP server and the webhook receiver in
// tests/servers/, openssl, the mail inspector) started and always reaped by the test.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace chuhai::testing {

struct CommandResult {
    int exit_code = -1;  // -1 when killed after the timeout
    std::string output;  // stdout
};

// Runs `argv` to completion (stderr goes to the test's stderr) and returns its stdout. Kills it
// after `timeout`. Throws std::runtime_error when it cannot be started.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::seconds timeout = std::chrono::seconds{60});

// A server that prints "PORT <n>" on stdout once it listens. The destructor sends SIGTERM,
// waits up to five seconds, then SIGKILLs, and reaps the child; the child's stdin is a pipe
// from us, so even if the test process dies the server sees end of file and exits.
class ServerProcess {
  public:
    explicit ServerProcess(const std::vector<std::string>& argv,
                           std::chrono::seconds startup = std::chrono::seconds{30});
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess();

    int port() const { return port_; }
    // Stops the server now (same as the destructor); safe to call twice.
    void stop() noexcept;

  private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    int port_ = 0;
};

// tests/servers/<name> and tests/deliver/<name> in the source tree.
std::filesystem::path server_script(const std::string& name);
std::filesystem::path deliver_script(const std::string& name);

// The interpreter that sees Debian's Python packages (aiosmtpd).
inline constexpr const char* kSystemPython = "/usr/bin/python3";

struct TestCertificate {
    std::filesystem::path certificate;  // also the CA file: it is self-signed
    std::filesystem::path key;
};

// A self-signed certificate for localhost and 127.0.0.1 made with `openssl req -x509`.
TestCertificate make_self_signed_certificate(const std::filesystem::path& dir);

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int unused_port();

}  // namespace chuhai::testing
