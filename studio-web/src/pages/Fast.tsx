/** Fast styles: feed-forward style networks run in the browser (see docs/studio.md). */
export function FastPage() {
  return (
    <div class="page fast-page">
      <h2>Fast styles</h2>
      <div class="placeholder">Fast style transfer needs the fast-infer work; not in this build.</div>
    </div>
  );
}
