// Native libraries imported `with { type: "file" }` resolve to a path string
// (inside the compiled binary, a path Bun extracts on use).
declare module "*.so" {
  const path: string;
  export default path;
}
