#pragma once
// Real HTTP peers for tests, each a child process on 127.0.0.1 at a port it chose itself:
//  - ScriptedServer runs tests/servers/scripted_http_server.py (every misbehaviour a feed server
//    shows: 304, redirects, 410, 429, trickles, endless bodies, gzip bombs, resets...);
//  - NginxServer runs nginx from its own configuration in a temporary folder
//    (tests/servers/nginx_server.py), with real ETag, Last-Modified and gzip.
// Both children exit when the test process closes their stdin, so they die with a crashed test;
// the destructors also signal and reap them.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace chuhai::testing {

// A helper program whose stdout announces "PORT <n>" (and possibly "PREFIX <dir>") when ready.
class ServerProcess {
  public:
    // Starts argv (argv[0] an absolute path) with a pipe as stdin. Throws std::runtime_error when
    // it does not announce a port (and a prefix, if expected) within the timeout.
    explicit ServerProcess(std::vector<std::string> argv, bool expect_prefix = false,
                           std::chrono::seconds startup_timeout = std::chrono::seconds{20});
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess();

    int port() const noexcept { return port_; }
    const std::string& prefix() const noexcept { return prefix_; }
    pid_t pid() const noexcept { return pid_; }

  private:
    void terminate() noexcept;

    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    int port_ = 0;
    std::string prefix_;
};

struct RecordedRequest {
    std::string method;
    std::string path;                            // as sent (origin form, or absolute via a proxy)
    std::map<std::string, std::string> headers;  // names in lower case
};

class ScriptedServer {
  public:
    struct Options {
        std::filesystem::path root;  // served under /file/
        bool tls = false;            // HTTPS with a throw-away self-signed certificate
    };
    ScriptedServer() : ScriptedServer(Options{}) {}
    explicit ScriptedServer(const Options& options);

    int port() const noexcept { return process_.port(); }
    // "http://127.0.0.1:PORT" + path (https:// with tls).
    std::string url(const std::string& path) const;
    // Every request seen so far, oldest first (blocking GET of /requests).
    std::vector<RecordedRequest> requests() const;
    // How many requests had exactly this path (including the query string).
    int count(const std::string& path) const;
    // Highest number of /delay requests served at the same time.
    int max_concurrent_delays() const;

  private:
    bool tls_;
    ServerProcess process_;
};

class NginxServer {
  public:
    struct Options {
        std::filesystem::path root;
        int hosts = 1;  // also listen on 127.0.0.2 ... 127.0.0.N
        int workers = 1;
        bool access_log = true;
    };
    explicit NginxServer(const Options& options);

    int port() const noexcept { return process_.port(); }
    // "http://127.0.0.HOST:PORT/" + path.
    std::string url(const std::string& path, int host = 1) const;
    // Lines of nginx's access log (the "combined" format), for counting requests. nginx writes a
    // line after its response went out, so this waits up to `patience` for `expected` lines.
    std::vector<std::string> access_log(
        std::size_t expected = 0,
        std::chrono::milliseconds patience = std::chrono::milliseconds{2000}) const;

  private:
    ServerProcess process_;
};

// A blocking HTTP/1.0 GET to 127.0.0.1:port for test bookkeeping (not the code under test).
// Returns the body; throws std::runtime_error on any failure.
std::string plain_http_get(int port, const std::string& path);

}  // namespace chuhai::testing
