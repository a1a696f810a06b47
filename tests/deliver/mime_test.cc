#include "deliver/mime.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/error.h"
#include "deliver/digest_mail.h"
#include "deliver/prepared.h"
#include "digest/render.h"
#include "tests/deliver/mail_inspection.h"
#include "tests/digest/sample_digest.h"
#include "tests/support/test_support.h"

namespace chuhai::deliver {
namespace {

using chuhai::testing::inspect_mail;
using chuhai::testing::part_of;
using chuhai::testing::read_fixture;

std::vector<std::string> crlf_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find("\r\n", start);
        if (end == std::string::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 2;
    }
    return lines;
}

// A small RFC 2045 quoted-printable decoder, to check that encoding round-trips.
std::string decode_quoted_printable(const std::string& encoded) {
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '=') {
            out += encoded[i];
            continue;
        }
        if (encoded.compare(i + 1, 2, "\r\n") == 0) {
            i += 2;  // soft line break
            continue;
        }
        out += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
        i += 2;
    }
    return out;
}

MailMessage simple_message() {
    MailMessage m;
    m.from = {"chuhai", "digest@example.org"};
    m.to = {{"", "alice@example.com"}};
    m.subject = "Hello";
    m.date = *parse_rfc3339("2025-07-01T08:00:00Z");
    m.message_id = make_message_id("abc", "example.org");
    m.text_body = "plain\n";
    m.html_body = "<p>html</p>\n";
    return m;
}

TEST(QuotedPrintable, EncodesWhatMustBeEncodedAndRoundTrips) {
    const std::string body = to_crlf(read_fixture("deliver/body_needing_quoted_printable.txt"));
    const std::string encoded = encode_quoted_printable(body);
    for (const auto& line : crlf_lines(encoded)) {
        EXPECT_LE(line.size(), 76u) << line;
        EXPECT_FALSE(line.ends_with(" ")) << line;
        EXPECT_FALSE(line.ends_with("\t")) << line;
        EXPECT_FALSE(line.starts_with(".")) << line;
        EXPECT_FALSE(line.starts_with("From ")) << line;
        for (unsigned char c : line)
            EXPECT_TRUE(c == '\t' || (c >= 32 && c <= 126)) << line;
    }
    EXPECT_NE(encoded.find("=3D"), std::string::npos);
    EXPECT_NE(encoded.find("here  =20"), std::string::npos);
    EXPECT_EQ(decode_quoted_printable(encoded), body);

    const std::string chinese = "月之暗面\r\n";
    EXPECT_EQ(encode_quoted_printable(chinese), "=E6=9C=88=E4=B9=8B=E6=9A=97=E9=9D=A2\r\n");
}

TEST(QuotedPrintable, NeverSplitsAnEscape) {
    const std::string body(300, '\xE6');
    const std::string encoded = encode_quoted_printable(body);
    for (const auto& line : crlf_lines(encoded)) {
        EXPECT_LE(line.size(), 76u);
        EXPECT_EQ((line.ends_with("=") ? line.size() - 1 : line.size()) % 3, 0u) << line;
    }
    EXPECT_EQ(decode_quoted_printable(encoded), body);
}

TEST(Base64, WrapsAt76) {
    const std::string encoded = encode_base64(std::string(200, 'a'));
    for (const auto& line : crlf_lines(encoded))
        EXPECT_LE(line.size(), 76u);
    EXPECT_TRUE(encoded.starts_with("YWFh"));
    EXPECT_EQ(encode_base64(""), "");
}

TEST(Headers, EncodesNonAsciiAsWholeCharacterWordsAndFolds) {
    const std::string header = unstructured_header(
        "Subject", std::string(40, 'x') + " 月之暗面 " + std::string(30, 'y') + " 智谱");
    EXPECT_NE(header.find("=?UTF-8?B?"), std::string::npos);
    for (const auto& line : crlf_lines(header)) {
        EXPECT_LE(line.size(), 78u) << line;
        for (unsigned char c : line)
            EXPECT_TRUE(c >= 32 && c <= 126) << line;
    }
    EXPECT_EQ(unstructured_header("Subject", "Plain words"), "Subject: Plain words\r\n");
    const std::string folded =
        unstructured_header("Subject", std::string(50, 'a') + " " + std::string(50, 'b'));
    EXPECT_EQ(folded, "Subject: " + std::string(50, 'a') + "\r\n " + std::string(50, 'b') + "\r\n");
    // A word too long for one line (a pasted URL) goes into encoded words, which can be split.
    const std::string long_word = "https://example.com/" + std::string(100, 'x');
    const std::string split = unstructured_header("Subject", "see " + long_word);
    for (const auto& line : crlf_lines(split))
        EXPECT_LE(line.size(), 78u) << line;
    EXPECT_EQ(inspect_mail([&] {
                  MailMessage m = simple_message();
                  m.subject = "see " + long_word;
                  return build_mime_message(m);
              }())["subject"],
              "see " + long_word);
}

TEST(Headers, CannotBeInjected) {
    MailMessage m = simple_message();
    m.subject = read_fixture("deliver/subject_with_crlf_fake_header.txt");
    m.to = {{read_fixture("deliver/display_name_with_crlf.txt"), "alice@example.com"}};
    m.extra_headers = {{"X-Chuhai-Digest", "id\r\nBcc: y@example.org"}};
    const std::string message = build_mime_message(m);
    const std::string head = message.substr(0, message.find("\r\n\r\n") + 2);
    // Every header line is either a field or a folded continuation starting with a space.
    for (const auto& line : crlf_lines(head)) {
        EXPECT_TRUE(line.starts_with(" ") || line.find(':') != std::string::npos) << line;
        EXPECT_FALSE(line.starts_with("Bcc")) << line;
        EXPECT_FALSE(line.starts_with("X-Injected")) << line;
    }
    EXPECT_EQ(head.find('\n'), head.find("\r\n") + 1);  // no bare LF anywhere
    const auto parsed = inspect_mail(message);
    EXPECT_EQ(parsed["header_count"].value("bcc", 0), 0);
    EXPECT_EQ(parsed["header_count"].value("x-injected", 0), 0);
    EXPECT_EQ(parsed["subject"], "Weekly 出海 digest Bcc: victim@example.org X-Injected: yes");
    EXPECT_EQ(parsed["to"], nlohmann::json::array({"alice@example.com"}));
    EXPECT_EQ(parsed["to_display"][0], "Evil Bcc: x@example.org");
    EXPECT_TRUE(parsed["defects"].empty()) << parsed["defects"];
}

TEST(Headers, TextThatLooksEncodedIsEncodedForReal) {
    MailMessage m = simple_message();
    m.subject = read_fixture("deliver/subject_looking_encoded.txt");
    const auto parsed = inspect_mail(build_mime_message(m));
    EXPECT_EQ(parsed["subject"], m.subject);  // not decoded to "Hacked"
}

TEST(Addresses, AreValidated) {
    EXPECT_TRUE(is_valid_address("alice@example.com"));
    EXPECT_TRUE(is_valid_address("a.b+tag@sub.example.co"));
    for (const char* bad :
         {"", "alice", "@example.com", "alice@", "a..b@example.com", "alice@exa mple.com",
          "alice@example.com\r\nBcc: x@y.z", "alice@-example.com", "\"quoted\"@example.com",
          "alice@[127.0.0.1]", "müller@example.com", "alice@example..com"}) {
        EXPECT_FALSE(is_valid_address(bad)) << bad;
    }
    MailMessage bad_recipient = simple_message();
    bad_recipient.to = {{"", "bad address@example.com"}};
    EXPECT_THROW(build_mime_message(bad_recipient), Error);
    MailMessage nobody = simple_message();
    nobody.to.clear();
    EXPECT_THROW(build_mime_message(nobody), Error);
    MailMessage bad_header = simple_message();
    bad_header.extra_headers = {{"Bad Name", "x"}};
    EXPECT_THROW(build_mime_message(bad_header), Error);
    MailMessage bad_id = simple_message();
    bad_id.message_id = "no-domain";
    EXPECT_THROW(build_mime_message(bad_id), Error);
}

TEST(Addresses, ParseTheConfigForms) {
    const Mailbox plain = parse_mailbox("alice@example.com");
    EXPECT_EQ(plain.address, "alice@example.com");
    EXPECT_EQ(plain.display_name, "");
    const Mailbox named = parse_mailbox("Alice Liu <alice@example.com>");
    EXPECT_EQ(named.display_name, "Alice Liu");
    EXPECT_EQ(named.address, "alice@example.com");
    const Mailbox quoted = parse_mailbox("\"Liu, Alice \\\"AL\\\"\" <alice@example.com>");
    EXPECT_EQ(quoted.display_name, "Liu, Alice \"AL\"");
    try {
        parse_mailbox("Alice <not an address>", "chuhai.yaml:12:7");
        ADD_FAILURE() << "accepted an invalid address";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::config);
        EXPECT_EQ(e.where(), "chuhai.yaml:12:7");
    }
    EXPECT_THROW(
        parse_mailbox(read_fixture("deliver/display_name_with_crlf.txt") + " <a@example.com>"),
        Error);
}

TEST(Dates, AreRfc5322) {
    EXPECT_EQ(format_rfc5322_date(*parse_rfc3339("2025-07-01T08:05:09Z")),
              "Tue, 01 Jul 2025 08:05:09 +0000");
    EXPECT_EQ(format_rfc5322_date(*parse_rfc3339("2024-02-29T23:59:59Z")),
              "Thu, 29 Feb 2024 23:59:59 +0000");
}

TEST(MessageId, IsAlwaysValid) {
    EXPECT_EQ(make_message_id("daily-1a2b-20250701t000000z", "example.org"),
              "daily-1a2b-20250701t000000z@example.org");
    const std::string weird = make_message_id("..a b<c>@d..", "example.org");
    EXPECT_TRUE(is_valid_address(weird)) << weird;
    EXPECT_TRUE(is_valid_address(make_message_id("", "example.org")));
}

TEST(Message, IsDeterministicCrlfAndWithinLineLimits) {
    const digest::Digest d = chuhai::testing::sample_digest();
    const MailMessage m =
        make_digest_mail(d, {"chuhai 出海", "digest@example.org"},
                         {{"Alice", "alice@example.com"}, {"", "bob@example.net"}});
    const std::string message = build_mime_message(m);
    EXPECT_EQ(message, build_mime_message(m));
    std::size_t pos = 0;
    while ((pos = message.find('\n', pos)) != std::string::npos) {
        ASSERT_GT(pos, 0u);
        ASSERT_EQ(message[pos - 1], '\r') << "bare LF at byte " << pos;
        ++pos;
    }
    const std::string head = message.substr(0, message.find("\r\n\r\n"));
    for (const auto& line : crlf_lines(head))
        EXPECT_LE(line.size(), 78u) << line;
    for (const auto& line : crlf_lines(message))
        EXPECT_LE(line.size(), 998u);
}

TEST(Message, ParsesAsMultipartAlternativeWithBothBodiesIntact) {
    const digest::Digest d = chuhai::testing::sample_digest();
    const MailMessage m =
        make_digest_mail(d, {"chuhai 出海", "digest@example.org"},
                         {{"Alice", "alice@example.com"}, {"", "bob@example.net"}});
    const auto parsed = inspect_mail(build_mime_message(m));
    EXPECT_TRUE(parsed["defects"].empty()) << parsed["defects"];
    EXPECT_EQ(parsed["content_type"], "multipart/alternative");
    EXPECT_EQ(parsed["subject"], "chuhai digest: 每日出海 Daily, 2025-07-02 (5 stories)");
    EXPECT_EQ(parsed["from"], nlohmann::json::array({"digest@example.org"}));
    EXPECT_EQ(parsed["from_display"][0], "chuhai 出海");
    EXPECT_EQ(parsed["to"], nlohmann::json::array({"alice@example.com", "bob@example.net"}));
    EXPECT_EQ(parsed["message_id"], "<" + d.id + "@example.org>");
    EXPECT_TRUE(parsed["date_valid"]);
    EXPECT_NE(parsed["list_id"].get<std::string>().find("digest.example.org>"), std::string::npos);
    EXPECT_EQ(parsed["header_count"]["auto-submitted"], 1);
    EXPECT_EQ(parsed["header_count"]["mime-version"], 1);
    ASSERT_EQ(parsed["parts"].size(), 2u);
    const auto text = part_of(parsed, "text/plain");
    const auto html = part_of(parsed, "text/html");
    ASSERT_FALSE(text.is_null());
    ASSERT_FALSE(html.is_null());
    EXPECT_EQ(text["charset"], "utf-8");
    EXPECT_EQ(html["charset"], "utf-8");
    // Python hands back decoded text with LF line ends.
    EXPECT_EQ(text["text"].get<std::string>(), digest::render_text(d));
    EXPECT_EQ(html["text"].get<std::string>(), digest::render_html(d));
}

TEST(Message, PicksBase64ForMostlyChineseBodies) {
    MailMessage m = simple_message();
    m.text_body = read_fixture("deliver/body_mostly_chinese.txt");
    m.html_body.clear();
    const std::string message = build_mime_message(m);
    EXPECT_NE(message.find("Content-Transfer-Encoding: base64"), std::string::npos);
    EXPECT_EQ(message.find("multipart"), std::string::npos);
    const auto parsed = inspect_mail(message);
    EXPECT_EQ(parsed["content_type"], "text/plain");
    EXPECT_EQ(parsed["parts"][0]["transfer_encoding"], "base64");
    EXPECT_EQ(parsed["parts"][0]["text"], m.text_body);

    m.text_body = read_fixture("deliver/body_needing_quoted_printable.txt");
    const auto qp = inspect_mail(build_mime_message(m));
    EXPECT_EQ(qp["parts"][0]["transfer_encoding"], "quoted-printable");
    EXPECT_EQ(qp["parts"][0]["text"], m.text_body);
}

TEST(Prepared, EmailIsTheBuiltMessageAndIsReproducible) {
    const digest::Digest d = chuhai::testing::sample_digest();
    const Mailbox from{"chuhai", "digest@example.org"};
    const std::vector<Mailbox> to = {{"", "alice@example.com"}, {"Bob", "bob@example.net"}};
    const PreparedDelivery p = prepare_email(d, from, to);
    EXPECT_EQ(p.kind, PreparedDelivery::Kind::email);
    EXPECT_EQ(p.digest_id, d.id);
    EXPECT_EQ(p.envelope_from, "digest@example.org");
    EXPECT_EQ(p.recipients, (std::vector<std::string>{"alice@example.com", "bob@example.net"}));
    EXPECT_EQ(p.payload, build_mime_message(make_digest_mail(d, from, to)));
    // Preparing again (after a restart, say) gives the same bytes: same Message-ID, same Date.
    EXPECT_EQ(prepare_email(chuhai::testing::sample_digest(), from, to).payload, p.payload);
    EXPECT_NE(p.payload.find("Message-ID: <" + d.id + "@example.org>"), std::string::npos);
}

TEST(TestMail, NamesTheChannelAndHasAUniqueId) {
    const Mailbox from{"", "digest@example.org"};
    const auto now = *parse_rfc3339("2025-07-01T08:00:00Z");
    const MailMessage a = make_test_mail("daily", from, {{"", "a@example.com"}}, now, "n1");
    const MailMessage b = make_test_mail("daily", from, {{"", "a@example.com"}}, now, "n2");
    EXPECT_NE(a.message_id, b.message_id);
    EXPECT_NE(a.subject.find("daily"), std::string::npos);
    const auto parsed = inspect_mail(build_mime_message(a));
    EXPECT_EQ(parsed["content_type"], "text/plain");
    EXPECT_NE(parsed["parts"][0]["text"].get<std::string>().find("\"daily\""), std::string::npos);
}

}  // namespace
}  // namespace chuhai::deliver
