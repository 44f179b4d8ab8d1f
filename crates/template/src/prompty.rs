//! `.prompty` files: YAML front matter between `---` lines, then the template body.
