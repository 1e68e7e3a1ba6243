// Reads an endpoint's card on the /status page.

/** The figure under "success" on `host`'s card of `page`: its rate and its tries. */
export function successOf(page: string, host: string): { rate: string; tries: string } | undefined {
  const card = page.split('<article').find((a) => a.includes(`<h3><code>${host}</code>`));
  const m = card?.match(/<dt>success<\/dt><dd><span[^>]*>([^<]*)<\/span> <small class="muted">of (\d+) tries/);
  return m ? { rate: m[1] as string, tries: m[2] as string } : undefined;
}
