#include "deliver/outcome.h"

#include <gtest/gtest.h>

namespace chuhai::deliver {
namespace {

DeliveryOutcome outcome(DeliveryStatus status, int code, std::string reply,
                        std::string detail = {}) {
    DeliveryOutcome o;
    o.status = status;
    o.code = code;
    o.reply = std::move(reply);
    o.detail = std::move(detail);
    return o;
}

TEST(Outcome, DescribeShowsTheCodeThenTheServersAnswer) {
    // SMTP replies carry their code already; HTTP bodies do not.
    EXPECT_EQ(describe(outcome(DeliveryStatus::delivered, 250, "250 2.0.0 Ok: queued as 12")),
              "delivered (250 2.0.0 Ok: queued as 12)");
    EXPECT_EQ(describe(outcome(DeliveryStatus::delivered, 200, "{\"ok\":true}")),
              "delivered (200 {\"ok\":true})");
    EXPECT_EQ(describe(outcome(DeliveryStatus::delivered, 204, "")), "delivered (204)");
    EXPECT_EQ(describe(outcome(DeliveryStatus::permanent_failure, 535,
                               "535 5.7.8 Authentication credentials invalid", "Login denied")),
              "permanent failure: server said \"535 5.7.8 Authentication credentials invalid\"; "
              "Login denied");
    EXPECT_EQ(describe(outcome(DeliveryStatus::permanent_failure, 404, "Not Found")),
              "permanent failure: server said \"404 Not Found\"");
    DeliveryOutcome limited = outcome(DeliveryStatus::temporary_failure, 429, "slow down");
    limited.retry_after = std::chrono::seconds{30};
    EXPECT_EQ(describe(limited),
              "temporary failure: server said \"429 slow down\"; retry after 30s");
    EXPECT_EQ(describe(outcome(DeliveryStatus::temporary_failure, 0, "", "Connection refused")),
              "temporary failure: Connection refused");
}

}  // namespace
}  // namespace chuhai::deliver
