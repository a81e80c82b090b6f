COPY {{table}} (id, name, category, price, created_at) FROM STDIN WITH (FORMAT binary)
