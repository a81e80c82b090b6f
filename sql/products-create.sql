-- The synthetic products table behind the "report by category" query. The primary key is added
-- after the load (products-primary-key.sql): building it once is faster than maintaining it per row.
CREATE TABLE {{table}} (
  id          bigint         NOT NULL,
  name        text           NOT NULL,
  category    text           NOT NULL,
  price       numeric(10, 2) NOT NULL,
  created_at  timestamptz    NOT NULL
)
