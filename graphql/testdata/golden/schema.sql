-- Fixture schema for the SQL golden tests (graphql/golden_test.go).
-- Deterministic rows so every compiled statement also runs on real data.

CREATE TABLE article_status (
  value   text PRIMARY KEY,
  comment text
);
INSERT INTO article_status (value, comment) VALUES
  ('draft', 'Not published yet'),
  ('published', 'Visible to everyone'),
  ('archived', 'Hidden from lists');

CREATE TABLE author (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  profile    jsonb,
  location   geometry(Point, 4326),
  created_at timestamptz NOT NULL DEFAULT '2024-01-01T00:00:00Z'
);

CREATE TABLE article (
  id           serial PRIMARY KEY,
  author_id    int NOT NULL REFERENCES author (id),
  title        text NOT NULL,
  body         text,
  rating       int,
  status       text NOT NULL REFERENCES article_status (value),
  tags         jsonb,
  published_at timestamptz
);
CREATE INDEX article_author_id ON article (author_id);

CREATE TABLE comment (
  id           serial PRIMARY KEY,
  article_id   int NOT NULL REFERENCES article (id),
  commenter_id int REFERENCES author (id),
  body         text NOT NULL,
  created_at   timestamptz
);
CREATE INDEX comment_article_id ON comment (article_id);

-- Computed scalar field: author.label
CREATE FUNCTION author_label(a author) RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT a.name || coalesce(' <' || a.email || '>', '') $$;

-- Set-returning computed field: author.top_articles(args: {min_rating})
CREATE FUNCTION author_top_articles(a author, min_rating int DEFAULT 4) RETURNS SETOF article
  LANGUAGE sql STABLE AS $$
    SELECT * FROM article WHERE article.author_id = a.id AND article.rating >= min_rating
  $$;

-- Tracked function: search_articles(args: {search})
CREATE FUNCTION search_articles(search text) RETURNS SETOF article
  LANGUAGE sql STABLE AS $$
    SELECT * FROM article WHERE title ILIKE '%' || search || '%' OR body ILIKE '%' || search || '%'
  $$;

INSERT INTO author (name, email, profile, location, created_at)
SELECT 'Author ' || i,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'author' || i || '@example.com' END,
       jsonb_build_object('lang', CASE WHEN i % 2 = 0 THEN 'en' ELSE 'fr' END,
                          'followers', i * 10,
                          'links', CASE WHEN i % 4 = 0 THEN jsonb_build_object('site', 'https://a' || i || '.example') ELSE '{}'::jsonb END),
       ST_SetSRID(ST_MakePoint(2.0 + i * 0.01, 48.0 + i * 0.01), 4326),
       '2024-01-01T00:00:00Z'::timestamptz + i * interval '1 day'
FROM generate_series(1, 12) AS i;

INSERT INTO article (author_id, title, body, rating, status, tags, published_at)
SELECT 1 + (i % 12),
       'Article ' || i || CASE WHEN i % 5 = 0 THEN ' about GraphQL' ELSE '' END,
       'Body of article ' || i,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + (i % 5) END,
       (ARRAY['draft', 'published', 'published', 'archived'])[1 + i % 4],
       jsonb_build_object('topics', jsonb_build_array(CASE WHEN i % 2 = 0 THEN 'sql' ELSE 'go' END), 'featured', i % 6 = 0),
       CASE WHEN i % 4 = 0 THEN NULL ELSE '2024-02-01T00:00:00Z'::timestamptz + i * interval '6 hours' END
FROM generate_series(1, 60) AS i;

INSERT INTO comment (article_id, commenter_id, body, created_at)
SELECT 1 + (i % 60),
       CASE WHEN i % 9 = 0 THEN NULL ELSE 1 + (i * 7 % 12) END,
       'Comment ' || i,
       '2024-03-01T00:00:00Z'::timestamptz + i * interval '1 hour'
FROM generate_series(1, 180) AS i;
