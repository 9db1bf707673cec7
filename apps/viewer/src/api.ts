/// <reference lib="dom" />
// Client of the server's JSON API (GET /api/datasets) and the access-token rule shared by every request.

export type Vec3 = [number, number, number]

export interface MagInfo {
  /** Downsampling factor per axis, e.g. [2, 2, 1]. */
  mag: Vec3
  /** URL of the mag's Zarr v3 array (relative to the page or absolute). */
  url: string
  /** Shape of the Zarr array, [c, x, y, z]. */
  shape: number[]
}

export interface LayerInfo {
  name: string
  category: 'color' | 'segmentation'
  dtype: string
  numChannels: number
  /** In mag-1 voxels. */
  boundingBox: { topLeft: Vec3; size: Vec3 }
  largestSegmentId: number | null
  mags: MagInfo[]
}

export interface DatasetInfo {
  name: string
  url: string
  scale: Vec3
  layers: LayerInfo[]
}

/** The `token` query parameter of the page's own URL, if any. */
export function pageToken(): string | null {
  return new URLSearchParams(location.search).get('token')
}

/** Resolves `url` against the page and appends `token=<value>` when the page was opened with a token. */
export function withToken(url: string): string {
  const resolved = new URL(url, location.href)
  const token = pageToken()
  if (token !== null) resolved.searchParams.set('token', token)
  return resolved.href
}

/** `fetch` that carries the token; used for the API and (through the Zarr store) for all data requests. */
export function tokenFetch(request: Request): Promise<Response> {
  const url = withToken(request.url)
  return fetch(url === request.url ? request : new Request(url, request))
}

export async function fetchDatasets(): Promise<DatasetInfo[]> {
  const response = await tokenFetch(new Request('/api/datasets', { headers: { Accept: 'application/json' } }))
  if (!response.ok) throw new Error(`GET /api/datasets: ${response.status} ${response.statusText}`)
  const body = (await response.json()) as { datasets?: DatasetInfo[] }
  if (!Array.isArray(body.datasets)) throw new Error('GET /api/datasets: no "datasets" array in the response')
  return body.datasets
}

export function magKey(mag: readonly number[]): string {
  return mag.join('-')
}
