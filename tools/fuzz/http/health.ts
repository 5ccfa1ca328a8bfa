/**
 * The check run between batches of cases: the server is live
 * (GET /v2/health/live → 200) and still classifies a good image (→ 200
 * with one result). Returns null when both pass, else what failed.
 */
export async function checkServer(url: string, image: Uint8Array, contentType: string): Promise<string | null> {
  try {
    const live = await fetch(`${url}/v2/health/live`, { signal: AbortSignal.timeout(10_000) });
    if (live.status !== 200) return `GET /v2/health/live answered ${live.status}: ${await live.text()}`;
    await live.arrayBuffer();
    const classify = await fetch(`${url}/v1/classify?topk=1`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: image,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await classify.text();
    if (classify.status !== 200) return `a good classify answered ${classify.status}: ${text}`;
    const results = JSON.parse(text) as unknown;
    if (!Array.isArray(results) || results.length !== 1) return `a good classify answered 200 with ${text.slice(0, 200)}`;
    return null;
  } catch (error) {
    return `the server did not answer a health check: ${(error as Error).message}`;
  }
}
