ANALYZE {{table}}
