-- The dispatcher's claim takes the oldest due deliveries of each active subscription (a few
-- each), then the oldest of those: every subscription gets its turn, however long another's
-- backlog. Before, it ranked the 2,000 oldest due rows of all, and one subscription's backlog
-- of more than that (a bulk call fans out 1,000 events) held back every other subscription's
-- deliveries until it drained. Partial like the due index: finished deliveries are not in it.
CREATE INDEX webhook_deliveries_subscription_due
    ON webhook_deliveries (subscription_id, next_attempt_at, id)
    WHERE status IN ('pending', 'failed');
