-- The two statements every create runs, as functions (issue 12): PostgreSQL plans a function's
-- statements once per connection and reuses the plan, where a statement sent as text is parsed,
-- analysed and planned on every request (about a third of PostgreSQL's CPU per create).
-- Functions rather than prepared statements: a connection pooler such as RDS Proxy pins a session
-- that prepares statements, and these run on any connection.

-- A payment; for no order (p_order_ref NULL) only if no order of the merchant answers to
-- p_order_id (id or receipt): nothing is inserted then, and the caller takes the order's path.
CREATE FUNCTION insert_payment(
    p_id text, p_merchant_id text, p_livemode boolean, p_amount_minor bigint, p_currency text, p_method text,
    p_order_id text, p_description text, p_metadata jsonb, p_card_network text, p_card_last4 text,
    p_card_expiry_month integer, p_card_expiry_year integer, p_vpa text, p_simulated_outcome text,
    p_order_ref text
) RETURNS SETOF payments LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    INSERT INTO payments (id, merchant_id, livemode, amount_minor, currency, method, order_id, description,
                          metadata, card_network, card_last4, card_expiry_month, card_expiry_year, vpa,
                          simulated_outcome, order_ref)
    SELECT p_id, p_merchant_id, p_livemode, p_amount_minor, p_currency, p_method, p_order_id, p_description,
           p_metadata, p_card_network, p_card_last4, p_card_expiry_month, p_card_expiry_year, p_vpa,
           p_simulated_outcome, p_order_ref
    WHERE p_order_ref IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.merchant_id = p_merchant_id AND o.livemode = p_livemode
                      AND (o.id = p_order_id OR o.receipt = p_order_id))
    RETURNING *;
END
$$;

-- An event; returns the ids of the endpoints of its mode subscribed to its type.
CREATE FUNCTION insert_event(
    p_id text, p_merchant_id text, p_livemode boolean, p_type text, p_body text, p_object_id text
) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (id, merchant_id, livemode, type, body, object_id)
    VALUES (p_id, p_merchant_id, p_livemode, p_type, p_body, p_object_id);
    RETURN QUERY
    SELECT w.id FROM webhook_endpoints w
    WHERE w.merchant_id = p_merchant_id AND w.livemode = p_livemode AND w.enabled AND w.deleted_at IS NULL
      AND (w.events IS NULL OR p_type = ANY (w.events));
END
$$;
