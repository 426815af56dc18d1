-- The kommuner of police region $1.
SELECT k.code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE l.region_code = $1 ORDER BY k.code
