// Shared by reads.mjs and writes.mjs: a fetch that records every exchange, named checks that
// print one line each, and the final JSON summary (exit code 1 when a check failed).

import assert from 'node:assert/strict'

const SHOWN = ['accept', 'accept-profile', 'content-profile', 'prefer', 'range', 'apikey', 'authorization']
const SECRET = ['apikey', 'authorization']

export function harness(url) {
  let exchanges = []
  const results = []

  // Every request the client sends (the headers that matter, the body) with the response.
  async function recordingFetch(input, init = {}) {
    const response = await fetch(input, init)
    const headers = Object.fromEntries(
      Object.entries(init.headers ?? {})
        .filter(([k]) => SHOWN.includes(k.toLowerCase()))
        .map(([k, v]) => [k, SECRET.includes(k.toLowerCase()) ? String(v).slice(0, 24) : v])
    )
    exchanges.push({
      request: `${init.method ?? 'GET'} ${decodeURI(String(input).slice(url.length))}`,
      headers,
      body: init.body === undefined ? undefined : String(init.body).slice(0, 300),
      status: response.status,
      contentRange: response.headers.get('content-range'),
      response: (await response.clone().text()).slice(0, 400),
    })
    return response
  }

  async function check(name, body) {
    exchanges = []
    try {
      await body()
      results.push({ name, ok: true })
      console.log(`ok - ${name}`)
    } catch (error) {
      results.push({ name, ok: false, error: error.message, exchanges })
      console.log(`not ok - ${name}`)
      console.log(`  ${String(error.message).split('\n').join('\n  ')}`)
      for (const exchange of exchanges) console.log(`  sent: ${JSON.stringify(exchange)}`)
    }
  }

  // The data of a query that must succeed (the error, if any, fails the check).
  async function rows(query) {
    const { data, error, status } = await query
    assert.equal(error, null, `status ${status}: ${JSON.stringify(error)}`)
    return data
  }

  function finish() {
    const failed = results.filter((result) => !result.ok)
    console.log(
      JSON.stringify({
        client: '@supabase/postgrest-js',
        total: results.length,
        passed: results.length - failed.length,
        failed: failed.length,
        failures: failed.map(({ name, error, exchanges }) => ({
          name,
          error: String(error).split('\n')[0],
          requests: exchanges.map((e) => e.request),
        })),
      })
    )
    process.exit(failed.length ? 1 : 0)
  }

  return { recordingFetch, check, rows, finish }
}
