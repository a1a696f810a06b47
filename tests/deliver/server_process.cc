#include "tests/deliver/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace chuhai::testing {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
    int read_end = -1;
    int write_end = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
        read_end = fds[0];
        write_end = fds[1];
    }
};

pid_t spawn(const std::vector<std::string>& argv, int child_stdin, int child_stdout) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (child_stdin >= 0)
        posix_spawn_file_actions_adddup2(&actions, child_stdin, 0);
    else
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, child_stdout, 1);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

// Waits for `pid` until `deadline`; returns its exit code, or nullopt when still running.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
    while (true) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (Clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    Pipe out;
    const pid_t pid = spawn(argv, -1, out.write_end);
    ::close(out.write_end);
    CommandResult result;
    const auto deadline = Clock::now() + timeout;
    char buffer[4096];
    while (true) {
        pollfd p{out.read_end, POLLIN, 0};
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            break;
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        const ssize_t n = ::read(out.read_end, buffer, sizeof buffer);
        if (n <= 0)
            break;
        result.output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out.read_end);
    auto code = wait_until(pid, deadline);
    if (!code) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        result.exit_code = -1;
    } else {
        result.exit_code = *code;
    }
    return result;
}

ServerProcess::ServerProcess(const std::vector<std::string>& argv, std::chrono::seconds startup) {
    Pipe in;
    Pipe out;
    pid_ = spawn(argv, in.read_end, out.write_end);
    ::close(in.read_end);
    ::close(out.write_end);
    stdin_fd_ = in.write_end;
    stdout_fd_ = out.read_end;

    std::string line;
    const auto deadline = Clock::now() + startup;
    while (line.find('\n') == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{stdout_fd_, POLLIN, 0};
        const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        char c[256];
        const ssize_t n = ready > 0 ? ::read(stdout_fd_, c, sizeof c) : 0;
        if (n <= 0) {
            stop();
            throw std::runtime_error(argv.size() > 1 ? argv[1] + " did not report its port"
                                                     : "server did not report its port");
        }
        line.append(c, static_cast<std::size_t>(n));
    }
    if (!line.starts_with("PORT ")) {
        stop();
        throw std::runtime_error("unexpected first line from server: " + line);
    }
    port_ = std::stoi(line.substr(5));
}

ServerProcess::~ServerProcess() {
    stop();
}

void ServerProcess::stop() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        if (!wait_until(pid_, Clock::now() + std::chrono::seconds{5})) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
    }
    if (stdin_fd_ >= 0)
        ::close(stdin_fd_);
    if (stdout_fd_ >= 0)
        ::close(stdout_fd_);
    stdin_fd_ = stdout_fd_ = -1;
}

std::filesystem::path server_script(const std::string& name) {
    return std::filesystem::path(CHUHAI_SOURCE_DIR) / "tests" / "servers" / name;
}

std::filesystem::path deliver_script(const std::string& name) {
    return std::filesystem::path(CHUHAI_SOURCE_DIR) / "tests" / "deliver" / name;
}

TestCertificate make_self_signed_certificate(const std::filesystem::path& dir) {
    TestCertificate cert{dir / "cert.pem", dir / "key.pem"};
    // An EC key: as good as RSA for the test and generated in milliseconds.
    const auto result = run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", cert.key.string(), "-out", cert.certificate.string(), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    if (result.exit_code != 0)
        throw std::runtime_error("openssl req -x509 failed");
    return cert;
}

int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

}  // namespace chuhai::testing
