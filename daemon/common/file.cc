#include "common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/error.h"

namespace chuhai {

namespace {

[[noreturn]] void throw_errno(const std::filesystem::path& path, const char* what) {
    throw Error(ErrorKind::io, std::string(what) + ": " + std::strerror(errno), path.string());
}

// Owns a file descriptor.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

}  // namespace

std::string read_file(const std::filesystem::path& path, std::size_t max_bytes) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        throw_errno(path, "cannot open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw_errno(path, "cannot stat");
    if (S_ISDIR(st.st_mode))
        throw Error(ErrorKind::io, "is a directory", path.string());
    std::string contents;
    if (st.st_size > 0)
        contents.reserve(static_cast<std::size_t>(st.st_size));
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(path, "cannot read");
        }
        if (n == 0)
            break;
        if (contents.size() + static_cast<std::size_t>(n) > max_bytes) {
            throw Error(ErrorKind::io,
                        "file is larger than " + std::to_string(max_bytes) + " bytes",
                        path.string());
        }
        contents.append(buffer, static_cast<std::size_t>(n));
    }
    return contents;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
    std::filesystem::path temp = path;
    temp += ".tmp-" + std::to_string(::getpid());
    {
        FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (fd.get() < 0)
            throw_errno(temp, "cannot create");
        std::size_t written = 0;
        while (written < contents.size()) {
            const ssize_t n =
                ::write(fd.get(), contents.data() + written, contents.size() - written);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                const int saved = errno;
                ::unlink(temp.c_str());
                errno = saved;
                throw_errno(temp, "cannot write");
            }
            written += static_cast<std::size_t>(n);
        }
        if (::fsync(fd.get()) != 0)
            throw_errno(temp, "cannot sync");
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        errno = saved;
        throw_errno(path, "cannot replace");
    }
}

}  // namespace chuhai
