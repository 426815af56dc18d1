DELETE FROM resolved WHERE line = ANY($1::int[])
