#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 that serves a fixed set of documents from its own thread.
// `chuhai demo` uses it so that the demo goes through the real fetcher over a real socket. It
// answers conditional requests (If-None-Match) with 304, like the web servers chuhai polls.

#include <memory>
#include <string>
#include <vector>

namespace chuhai::app {

class StaticHttpServer {
  public:
    struct Document {
        std::string path;  // "/feeds/a.xml"
        std::string content_type;
        std::string body;
    };

    // Binds 127.0.0.1 on a free port and starts serving; throws Error(network) when it cannot.
    explicit StaticHttpServer(std::vector<Document> documents);
    StaticHttpServer(const StaticHttpServer&) = delete;
    StaticHttpServer& operator=(const StaticHttpServer&) = delete;
    // Stops serving and joins the thread.
    ~StaticHttpServer();

    unsigned short port() const;
    // "http://127.0.0.1:PORT" + path.
    std::string url(const std::string& path) const;
    // Requests answered so far (200 and 304 and 404), for tests.
    int requests_served() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chuhai::app
