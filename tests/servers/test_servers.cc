#include "tests/servers/test_servers.h"

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
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace chuhai::testing {

namespace {

std::string script(const char* name) {
    return std::string(CHUHAI_TEST_SERVERS_DIR) + "/" + name;
}

void close_fd(int& fd) noexcept {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

// Waits up to `timeout` for the child to exit; true when it did (and was reaped).
bool reap_within(pid_t pid, std::chrono::milliseconds timeout) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno == ECHILD))
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> argv, bool expect_prefix,
                             std::chrono::seconds startup_timeout) {
    int in_pipe[2];
    int out_pipe[2];
    // O_CLOEXEC: no other child (another server started by the same test) inherits our ends, so
    // closing stdin_fd_ really gives this child EOF.
    if (::pipe2(in_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2 failed");
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        ::close(in_pipe[0]);
        ::close(in_pipe[1]);
        throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (auto& arg : argv)
        args.push_back(arg.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    stdin_fd_ = in_pipe[1];
    stdout_fd_ = out_pipe[0];
    if (rc != 0) {
        pid_ = -1;
        close_fd(stdin_fd_);
        close_fd(stdout_fd_);
        throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " + std::strerror(rc));
    }

    const auto deadline = std::chrono::steady_clock::now() + startup_timeout;
    std::string pending;
    while (port_ == 0 || (expect_prefix && prefix_.empty())) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{stdout_fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            terminate();
            throw std::runtime_error("no port announced by " + argv[1]);
        }
        char buffer[512];
        const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
        if (n <= 0) {
            terminate();
            throw std::runtime_error(argv[1] + " exited before announcing a port");
        }
        pending.append(buffer, static_cast<std::size_t>(n));
        std::size_t newline;
        while ((newline = pending.find('\n')) != std::string::npos) {
            const std::string line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (line.rfind("PORT ", 0) == 0)
                port_ = std::stoi(line.substr(5));
            else if (line.rfind("PREFIX ", 0) == 0)
                prefix_ = line.substr(7);
        }
    }
}

ServerProcess::~ServerProcess() {
    terminate();
}

void ServerProcess::terminate() noexcept {
    close_fd(stdin_fd_);  // EOF: the helper shuts down cleanly (nginx_server.py stops nginx)
    if (pid_ > 0) {
        if (!reap_within(pid_, std::chrono::seconds{10})) {
            ::kill(pid_, SIGTERM);
            if (!reap_within(pid_, std::chrono::seconds{5})) {
                ::kill(pid_, SIGKILL);
                reap_within(pid_, std::chrono::seconds{5});
            }
        }
        pid_ = -1;
    }
    close_fd(stdout_fd_);
}

ScriptedServer::ScriptedServer(const Options& options)
    : tls_(options.tls), process_([&] {
          std::vector<std::string> argv{CHUHAI_TEST_PYTHON, script("scripted_http_server.py")};
          if (!options.root.empty()) {
              argv.push_back("--root");
              argv.push_back(options.root.string());
          }
          if (options.tls)
              argv.push_back("--tls");
          return argv;
      }()) {}

std::string ScriptedServer::url(const std::string& path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<RecordedRequest> ScriptedServer::requests() const {
    if (tls_)
        throw std::runtime_error("requests() is only available without TLS");
    const auto json = nlohmann::json::parse(plain_http_get(port(), "/requests"));
    std::vector<RecordedRequest> out;
    for (const auto& item : json) {
        RecordedRequest request;
        request.method = item.at("method").get<std::string>();
        request.path = item.at("path").get<std::string>();
        for (const auto& [name, value] : item.at("headers").items())
            request.headers[name] = value.get<std::string>();
        out.push_back(std::move(request));
    }
    return out;
}

int ScriptedServer::count(const std::string& path) const {
    int n = 0;
    for (const auto& request : requests())
        n += request.path == path ? 1 : 0;
    return n;
}

int ScriptedServer::max_concurrent_delays() const {
    return nlohmann::json::parse(plain_http_get(port(), "/stats")).at("max_active").get<int>();
}

NginxServer::NginxServer(const Options& options)
    : process_(
          [&] {
              std::vector<std::string> argv{CHUHAI_TEST_PYTHON, script("nginx_server.py"),
                                            "--root",           options.root.string(),
                                            "--hosts",          std::to_string(options.hosts),
                                            "--workers",        std::to_string(options.workers)};
              if (!options.access_log)
                  argv.push_back("--no-access-log");
              return argv;
          }(),
          /*expect_prefix=*/true) {}

std::string NginxServer::url(const std::string& path, int host) const {
    return "http://127.0.0." + std::to_string(host) + ":" + std::to_string(port()) + "/" + path;
}

std::vector<std::string> NginxServer::access_log(std::size_t expected,
                                                 std::chrono::milliseconds patience) const {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (true) {
        std::vector<std::string> lines;
        std::ifstream in(std::filesystem::path(process_.prefix()) / "access.log");
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        if (lines.size() >= expected || std::chrono::steady_clock::now() >= deadline)
            return lines;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
}

std::string plain_http_get(int port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error("socket failed");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
        throw std::runtime_error("send failed");
    std::string response;
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
        response.append(buffer, static_cast<std::size_t>(n));
    if (n < 0)
        throw std::runtime_error("recv failed");
    const auto end_of_head = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.", 0) != 0 || end_of_head == std::string::npos)
        throw std::runtime_error("not an HTTP response from 127.0.0.1:" + std::to_string(port));
    return response.substr(end_of_head + 4);
}

}  // namespace chuhai::testing
