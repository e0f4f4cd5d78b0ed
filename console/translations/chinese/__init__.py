"""The console's zh_CN translations, by the pages they serve (console.translations.zh_CN joins
them)."""
