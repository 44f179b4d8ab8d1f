-- Provider settings beyond the endpoint: where the key comes from (a reference,
-- never a key), API version, region and run-engine limits, as one JSON object.
ALTER TABLE providers ADD COLUMN settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings));
