-- Nothing is lost: every row that arrived was either loaded or rejected.
select
    file_key,
    rows_received,
    rows_loaded,
    rows_rejected
from {{ ref('stg_meta__file_loads') }}
where rows_loaded + rows_rejected <> rows_received
