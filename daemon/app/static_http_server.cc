#include "app/static_http_server.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <thread>

#include "common/error.h"

namespace chuhai::app {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// A strong validator from the body, so that an unchanged document answers 304.
std::string etag_of(const std::string& body) {
    return "\"" + std::to_string(std::hash<std::string>{}(body)) + "\"";
}

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(tcp::socket s, const std::vector<StaticHttpServer::Document>& docs,
               std::atomic<int>& served)
        : socket(std::move(s)), documents(docs), requests_served(served) {}

    void start() {
        auto self = shared_from_this();
        http::async_read(socket, buffer, request, [self](boost::beast::error_code ec, std::size_t) {
            if (!ec)
                self->respond();
        });
    }

    void respond() {
        response.version(11);
        response.set(http::field::server, "chuhai-demo");
        response.keep_alive(false);  // one request per connection keeps the server trivial
        const std::string target(request.target());
        const StaticHttpServer::Document* found = nullptr;
        for (const auto& doc : documents) {
            if (doc.path == target)
                found = &doc;
        }
        if (found == nullptr) {
            response.result(http::status::not_found);
            response.set(http::field::content_type, "text/plain");
            response.body() = "not found\n";
        } else {
            const std::string etag = etag_of(found->body);
            response.set(http::field::etag, etag);
            if (request[http::field::if_none_match] == etag) {
                response.result(http::status::not_modified);
            } else {
                response.result(http::status::ok);
                response.set(http::field::content_type, found->content_type);
                response.body() = found->body;
            }
        }
        response.prepare_payload();
        ++requests_served;
        auto self = shared_from_this();
        http::async_write(socket, response, [self](boost::beast::error_code, std::size_t) {
            boost::beast::error_code ignored;
            self->socket.shutdown(tcp::socket::shutdown_both, ignored);
        });
    }

    tcp::socket socket;
    const std::vector<StaticHttpServer::Document>& documents;
    std::atomic<int>& requests_served;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
};

}  // namespace

struct StaticHttpServer::Impl {
    explicit Impl(std::vector<Document> docs) : documents(std::move(docs)), acceptor(io) {}

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec)
                return;  // the acceptor was closed: we are stopping
            std::make_shared<Connection>(std::move(socket), documents, requests_served)->start();
            accept();
        });
    }

    std::vector<Document> documents;
    asio::io_context io;
    tcp::acceptor acceptor;
    std::atomic<int> requests_served{0};
    std::thread thread;
};

StaticHttpServer::StaticHttpServer(std::vector<Document> documents)
    : impl_(std::make_unique<Impl>(std::move(documents))) {
    boost::system::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        impl_->acceptor.bind(endpoint, ec);
    if (!ec)
        impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw Error(ErrorKind::network, "cannot listen: " + ec.message(), "127.0.0.1");
    impl_->accept();
    impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

StaticHttpServer::~StaticHttpServer() {
    asio::post(impl_->io, [impl = impl_.get()] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
    });
    impl_->io.stop();
    if (impl_->thread.joinable())
        impl_->thread.join();
}

unsigned short StaticHttpServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

std::string StaticHttpServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
}

int StaticHttpServer::requests_served() const {
    return impl_->requests_served.load();
}

}  // namespace chuhai::app
