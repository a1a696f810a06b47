#pragma once
// A child process for tests that need a second process: its stdin and stdout are pipes, and the
// destructor kills (SIGKILL) and reaps it if it is still running, so a failing test leaves no
// process behind.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chuhai::store::testing {

class ChildProcess {
  public:
    // Starts argv[0] (a path) with the arguments; throws std::runtime_error if it cannot. With
    // merge_stderr, its stderr goes to the same pipe as its stdout.
    explicit ChildProcess(const std::vector<std::string>& argv, bool merge_stderr = false);
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    // The next line of its stdout, without the newline; nullopt on timeout or end of output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Every complete line still in the pipe, without waiting (after the child ended).
    std::vector<std::string> drain_lines();
    void write(std::string_view text);
    void close_stdin();
    void kill(int signal);
    // Waits for the child; returns its exit status, or 128 + the signal that ended it.
    int wait();
    pid_t pid() const { return pid_; }

  private:
    bool fill(std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace chuhai::store::testing
