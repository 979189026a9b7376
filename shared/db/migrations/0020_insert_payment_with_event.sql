-- A new payment and its payment.created event in one statement (issue 12): a create costs one
-- round trip fewer. The caller builds the payment's row, timestamps included, and the event's body
-- from it, so the event carries exactly the payment that is stored; every column a payment shows
-- is given here, none is left to a default. The event is stored as every other is (insert_event,
-- migration 0019), its created_at PostgreSQL's clock like theirs.
--
-- For no order (p_order_ref NULL), nothing is inserted if an order of the merchant answers to
-- p_order_id (id or receipt), and the result is NULL: the caller takes the order's path.
-- Otherwise the result is the ids of the endpoints of the payment's mode subscribed to the
-- event's type (empty for none).
CREATE FUNCTION insert_payment_with_event(
    p_id text, p_merchant_id text, p_livemode boolean, p_amount_minor bigint, p_currency text, p_method text,
    p_order_id text, p_description text, p_metadata jsonb, p_status text, p_card_network text,
    p_card_last4 text, p_card_expiry_month integer, p_card_expiry_year integer, p_vpa text,
    p_simulated_outcome text, p_order_ref text, p_created_at timestamptz,
    p_event_id text, p_event_type text, p_event_body text, p_event_object_id text
) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payments (id, merchant_id, livemode, amount_minor, currency, method, order_id, description,
                          metadata, status, captured, captured_at, card_network, card_last4, card_expiry_month,
                          card_expiry_year, vpa, simulated_outcome, error_code, error_description,
                          processing_error, order_ref, created_at, updated_at)
    SELECT p_id, p_merchant_id, p_livemode, p_amount_minor, p_currency, p_method, p_order_id, p_description,
           p_metadata, p_status, false, NULL, p_card_network, p_card_last4, p_card_expiry_month,
           p_card_expiry_year, p_vpa, p_simulated_outcome, NULL, NULL,
           NULL, p_order_ref, p_created_at, p_created_at
    WHERE p_order_ref IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.merchant_id = p_merchant_id AND o.livemode = p_livemode
                      AND (o.id = p_order_id OR o.receipt = p_order_id));
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT * FROM insert_event(p_event_id, p_merchant_id, p_livemode, p_event_type, p_event_body,
                                            p_event_object_id));
END
$$;

-- insert_payment (0019) is no longer called, but stays: API processes still running the code
-- before this migration (a rolling deploy) call it. A later migration can drop it.
