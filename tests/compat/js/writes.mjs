// Write and RPC operations of the real @supabase/postgrest-js client against a running Campus server.
//
// Environment: CAMPUS_URL (the server), CAMPUS_ANON_KEY (a valid anon JWT).
// The server serves tests/http/fixture.sql plus `test2.entries` (the `test2_entries` fixture of
// tests/compat/conftest.py). Rows written here use ids 6000-6999 of test.items and test.notes, and codes
// starting with `js-` in test2.entries; tests/compat/test_postgrest_js_writes.py checks what is left of
// them in the database afterwards, so keep the two in step.
// Prints one line per check, then a JSON summary; exits 1 if any check failed.

import assert from 'node:assert/strict'
import { PostgrestClient, PostgrestError } from '@supabase/postgrest-js'
import { harness } from './harness.mjs'

const { CAMPUS_URL: url, CAMPUS_ANON_KEY: anonKey } = process.env
if (!url || !anonKey) {
  console.error('set CAMPUS_URL and CAMPUS_ANON_KEY')
  process.exit(2)
}

const { recordingFetch, check, rows, finish } = harness(url)

// Configured the way supabase-js configures it: apikey + Authorization headers, a schema.
const client = (options = {}) =>
  new PostgrestClient(url, {
    headers: { apikey: anonKey, Authorization: `Bearer ${anonKey}` },
    schema: 'test',
    fetch: recordingFetch,
    ...options,
  })
const db = client()

// The whole outcome of a query, minus statusText: { data, error, count, status }.
async function outcome(query) {
  const { data, error, count, status } = await query
  return { data, error, count, status }
}
// The error object of a query that must fail, with the response status: { status, code, message, ... }.
async function failure(query) {
  const { data, error, status } = await query
  assert.notEqual(error, null, `expected an error, got status ${status}: ${JSON.stringify(data)}`)
  assert.equal(data, null)
  return { status, ...error }
}
const item = (id, name, qty = 1, clientId = null) => ({ id, name, qty, client_id: clientId })
// The rows of test.items with ids in [lo, hi], read back through the API.
const items = (lo, hi) => rows(db.from('items').select('*').gte('id', lo).lte('id', hi).order('id'))
const byId = (list) => [...list].sort((a, b) => a.id - b.id)

// -- insert ------------------------------------------------------------------------------------------
await check('insert: return=minimal by default (201, no data)', async () => {
  const result = await outcome(db.from('items').insert({ id: 6000, name: 'js pen' }))
  assert.deepEqual(result, { data: null, error: null, count: null, status: 201 })
  assert.deepEqual(await items(6000, 6009), [item(6000, 'js pen')])
})

await check('insert().select() returns rows, with embeds and aliases; .single() an object', async () => {
  const shown = await outcome(
    db.from('items').insert({ id: 6010, name: 'cap', client_id: 2 }).select('id, name, clients(name)')
  )
  assert.deepEqual(shown, {
    data: [{ id: 6010, name: 'cap', clients: { name: 'Apple' } }],
    error: null,
    count: null,
    status: 201,
  })
  const single = db.from('items').insert({ id: 6011, name: 'lid', qty: 2 }).select('key:id, qty').single()
  assert.deepEqual(await rows(single), { key: 6011, qty: 2 })
  assert.deepEqual(await items(6010, 6019), [item(6010, 'cap', 1, 2), item(6011, 'lid', 2)])
})

await check("bulk insert (columns=) with { count: 'exact' }, with and without select", async () => {
  const three = [
    { id: 6020, name: 'a', qty: 3 },
    { id: 6021, name: 'b', qty: 4 },
    { id: 6022, name: 'c', qty: 5 },
  ]
  const shown = await outcome(db.from('items').insert(three, { count: 'exact' }).select())
  assert.deepEqual(shown, {
    data: [item(6020, 'a', 3), item(6021, 'b', 4), item(6022, 'c', 5)],
    error: null,
    count: 3,
    status: 201,
  })
  const two = [
    { id: 6023, name: 'd' },
    { id: 6024, name: 'e', client_id: 1 },
  ]
  const minimal = await outcome(db.from('items').insert(two, { count: 'exact', defaultToNull: false }))
  assert.deepEqual(minimal, { data: null, error: null, count: 2, status: 201 })
  assert.deepEqual(await items(6020, 6029), [
    item(6020, 'a', 3),
    item(6021, 'b', 4),
    item(6022, 'c', 5),
    item(6023, 'd'),
    item(6024, 'e', 1, 1),
  ])
})

await check('bulk insert: a missing key is NULL, or the default with defaultToNull: false', async () => {
  const body = [
    { id: 6030, name: 'no qty' },
    { id: 6031, name: 'qty', qty: 7 },
  ]
  const refused = await failure(db.from('items').insert(body))
  assert.deepEqual(
    [refused.status, refused.code, refused.message],
    [400, '23502', 'null value in column "qty" of relation "items" violates not-null constraint']
  )
  assert.deepEqual(await items(6030, 6039), [], 'nothing was written')
  const defaulted = await outcome(db.from('items').insert(body, { defaultToNull: false }).select('id, qty'))
  assert.deepEqual(defaulted, {
    data: [
      { id: 6030, qty: 1 },
      { id: 6031, qty: 7 },
    ],
    error: null,
    count: null,
    status: 201,
  })
})

await check('insert into a table whose new rows the role cannot read', async () => {
  assert.deepEqual(await rows(db.from('notes').insert({ id: 6040, owner: 'me', body: 'hi' }).select()), [
    { id: 6040, owner: 'me', body: 'hi' },
  ])
  const hidden = await outcome(db.from('notes').insert({ id: 6041, owner: 'other' }))
  assert.deepEqual(hidden, { data: null, error: null, count: null, status: 201 })
  const shown = await failure(db.from('notes').insert({ id: 6042, owner: 'other' }).select())
  assert.deepEqual(
    [shown.code, shown.message],
    ['42501', 'new row violates row-level security policy for table "notes"']
  )
  assert.deepEqual(await rows(db.from('notes').select('id').gte('id', 6040).lte('id', 6049)), [{ id: 6040 }])
})

// -- upsert ------------------------------------------------------------------------------------------
await check('upsert merges duplicates (200 when nothing is inserted, 201 otherwise)', async () => {
  await rows(db.from('items').insert({ id: 6050, name: 'old', qty: 3 }))
  const merged = await outcome(db.from('items').upsert({ id: 6050, name: 'new' }).select())
  assert.deepEqual(merged, { data: [item(6050, 'new', 3)], error: null, count: null, status: 200 })
  const both = await outcome(
    db
      .from('items')
      .upsert(
        [
          { id: 6050, name: 'newer', qty: 5 },
          { id: 6051, name: 'fresh', qty: 6 },
        ],
        { count: 'exact' }
      )
      .select()
  )
  assert.deepEqual(both, {
    data: [item(6050, 'newer', 5), item(6051, 'fresh', 6)],
    error: null,
    count: 2,
    status: 201,
  })
  const minimal = await outcome(db.from('items').upsert({ id: 6051, name: 'fresh', qty: 7 }))
  assert.deepEqual(minimal, { data: null, error: null, count: null, status: 200 })
  assert.deepEqual(await items(6050, 6059), [item(6050, 'newer', 5), item(6051, 'fresh', 7)])
})

await check('upsert with onConflict and ignoreDuplicates', async () => {
  await rows(db.from('items').insert({ id: 6060, name: 'first', qty: 2 }))
  const body = [
    { id: 6060, name: 'ignored', qty: 9 },
    { id: 6061, name: 'inserted', qty: 9 },
  ]
  const ignored = await outcome(
    db.from('items').upsert(body, { onConflict: 'id', ignoreDuplicates: true, count: 'exact' }).select()
  )
  assert.deepEqual(ignored, { data: [item(6061, 'inserted', 9)], error: null, count: 1, status: 201 })
  const again = db.from('items').upsert({ id: 6060, name: 'again' }, { onConflict: 'id', ignoreDuplicates: true })
  assert.deepEqual(await rows(again.select()), [])
  const merged = db.from('items').upsert({ id: 6061, name: 'merged' }, { onConflict: 'id' }).select('name').single()
  assert.deepEqual(await rows(merged), { name: 'merged' })
  assert.deepEqual(await items(6060, 6069), [item(6060, 'first', 2), item(6061, 'merged', 9)])
})

// -- update --------------------------------------------------------------------------------------------
await check('update with filters: minimal, count, select, single, no match', async () => {
  await rows(db.from('items').insert(['u0', 'u1', 'u2', 'u3'].map((name, i) => ({ id: 6070 + i, name }))))
  const minimal = await outcome(db.from('items').update({ qty: 9 }).in('id', [6070, 6071]))
  assert.deepEqual(minimal, { data: null, error: null, count: null, status: 204 })
  const counted = await outcome(db.from('items').update({ qty: 4 }, { count: 'exact' }).gte('id', 6072).lte('id', 6073))
  assert.deepEqual(counted, { data: null, error: null, count: 2, status: 204 })
  const shown = await outcome(
    db.from('items').update({ name: 'U3', client_id: 2 }).eq('id', 6073).select('name, clients(name)')
  )
  assert.deepEqual(shown, { data: [{ name: 'U3', clients: { name: 'Apple' } }], error: null, count: null, status: 200 })
  const single = db.from('items').update({ qty: 6 }).match({ id: 6072, name: 'u2' }).select('id, qty').single()
  assert.deepEqual(await rows(single), { id: 6072, qty: 6 })
  const nothing = await outcome(db.from('items').update({ qty: 1 }, { count: 'exact' }).eq('id', 6079).select())
  assert.deepEqual(nothing, { data: [], error: null, count: 0, status: 200 })
  const negated = db.from('items').update({ name: 'x' }).gte('id', 6070).lte('id', 6079).not('qty', 'in', '(4,6,9)')
  assert.deepEqual(await rows(negated.select()), [])
  assert.deepEqual(await items(6070, 6079), [item(6070, 'u0', 9), item(6071, 'u1', 9), item(6072, 'u2', 6),
    item(6073, 'U3', 4, 2)]) // prettier-ignore
})

await check('update and delete with maxAffected', async () => {
  await rows(db.from('items').insert([{ id: 6080, name: 'm0' }, { id: 6081, name: 'm1' }]))
  const tooMany = await failure(db.from('items').update({ qty: 2 }).in('id', [6080, 6081]).maxAffected(1))
  assert.deepEqual(
    [tooMany.status, tooMany.code, tooMany.message],
    [400, 'PGRST124', 'Query result exceeds max-affected preference constraint']
  )
  assert.deepEqual(await items(6080, 6089), [item(6080, 'm0'), item(6081, 'm1')], 'rolled back')
  const one = db.from('items').update({ qty: 2 }).eq('id', 6080).maxAffected(1).select()
  assert.deepEqual(await rows(one), [item(6080, 'm0', 2)])
  const refused = await failure(db.from('items').delete().in('id', [6080, 6081]).maxAffected(1))
  assert.deepEqual([refused.status, refused.code], [400, 'PGRST124'])
  const both = await outcome(db.from('items').delete({ count: 'exact' }).in('id', [6080, 6081]).maxAffected(2))
  assert.deepEqual(both, { data: null, error: null, count: 2, status: 204 })
  assert.deepEqual(await items(6080, 6089), [])
})

// -- delete --------------------------------------------------------------------------------------------
await check('delete with filters: minimal, count, select, single, no match', async () => {
  const six = [0, 1, 2, 3, 4, 5].map((i) => ({ id: 6090 + i, name: `d${i}`, qty: i + 1 }))
  await rows(db.from('items').insert(six))
  const minimal = await outcome(db.from('items').delete().eq('id', 6090))
  assert.deepEqual(minimal, { data: null, error: null, count: null, status: 204 })
  const counted = await outcome(db.from('items').delete({ count: 'exact' }).in('id', [6091, 6092]).select('id'))
  assert.deepEqual(
    { ...counted, data: byId(counted.data) },
    { data: [{ id: 6091 }, { id: 6092 }], error: null, count: 2, status: 200 }
  )
  const single = db.from('items').delete().eq('name', 'd3').gte('id', 6090).select('id, qty').single()
  assert.deepEqual(await rows(single), { id: 6093, qty: 4 })
  const nothing = await outcome(db.from('items').delete({ count: 'exact' }).eq('id', 6099).select())
  assert.deepEqual(nothing, { data: [], error: null, count: 0, status: 200 })
  assert.deepEqual(await items(6090, 6099), [item(6094, 'd4', 5), item(6095, 'd5', 6)])
})

// -- errors ----------------------------------------------------------------------------------------------
await check('write errors reach the client as error objects', async () => {
  await rows(db.from('items').insert({ id: 6100, name: 'taken' }))
  const duplicate = await failure(db.from('items').insert({ id: 6100, name: 'again' }))
  assert.deepEqual(duplicate, {
    status: 409,
    code: '23505',
    message: 'duplicate key value violates unique constraint "items_pkey"',
    details: 'Key (id)=(6100) already exists.',
    hint: null,
  })
  const unknown = await failure(db.from('items').insert({ id: 6101, name: 'x', nope: 1 }))
  assert.deepEqual(
    [unknown.status, unknown.code, unknown.message],
    [400, 'PGRST204', "Could not find the 'nope' column of 'items' in the schema cache"]
  )
  const unknownBulk = await failure(db.from('items').insert([{ id: 6101, name: 'x', nope: 1 }]))
  assert.deepEqual([unknownBulk.status, unknownBulk.code], [400, 'PGRST204'])
  const unknownUpdate = await failure(db.from('items').update({ nope: 1 }).eq('id', 6100))
  assert.deepEqual([unknownUpdate.status, unknownUpdate.code], [400, 'PGRST204'])
  const foreign = await failure(db.from('items').insert({ id: 6102, name: 'x', client_id: 999 }))
  assert.deepEqual(
    [foreign.status, foreign.code, foreign.details],
    [409, '23503', 'Key (client_id)=(999) is not present in table "clients".']
  )
  const missing = await failure(db.from('itemz').insert({ id: 6103 }))
  assert.deepEqual([missing.status, missing.code], [404, 'PGRST205'])
  const readOnly = await failure(db.from('clients').insert({ id: 6104, name: 'x' }))
  assert.deepEqual([readOnly.code, readOnly.message], ['42501', 'permission denied for table clients'])
  await assert.rejects(
    async () => await db.from('items').insert({ id: 6100, name: 'again' }).throwOnError(),
    (error) => error instanceof PostgrestError && error.code === '23505'
  )
  assert.deepEqual(await items(6100, 6109), [item(6100, 'taken')])
})

// -- another schema ------------------------------------------------------------------------------------
await check(".schema('test2') writes (Content-Profile), upsert onConflict on a unique column", async () => {
  const test2 = db.schema('test2')
  assert.deepEqual(await rows(test2.from('entries').insert({ code: 'js-a', label: 'one' }).select('code, label')), [
    { code: 'js-a', label: 'one' },
  ])
  const merged = await rows(
    test2
      .from('entries')
      .upsert(
        [
          { code: 'js-a', label: 'two', n: 1 },
          { code: 'js-b', label: 'bee', n: 2 },
        ],
        { onConflict: 'code' }
      )
      .select('code, label, n')
      .order('code')
  )
  assert.deepEqual(merged, [
    { code: 'js-a', label: 'two', n: 1 },
    { code: 'js-b', label: 'bee', n: 2 },
  ])
  const ignored = test2
    .from('entries')
    .upsert({ code: 'js-b', label: 'no' }, { onConflict: 'code', ignoreDuplicates: true })
  assert.deepEqual(await outcome(ignored), { data: null, error: null, count: null, status: 201 })
  const second = client({ schema: 'test2' })
  const updated = await outcome(second.from('entries').update({ n: 5 }, { count: 'exact' }).eq('code', 'js-a'))
  assert.deepEqual(updated, { data: null, error: null, count: 1, status: 204 })
  assert.deepEqual(await rows(second.from('entries').insert({ code: 'js-c' }).select('code, label, n').single()), {
    code: 'js-c',
    label: null,
    n: 0,
  })
  assert.deepEqual(await rows(second.from('entries').delete().eq('code', 'js-b').select('code')), [{ code: 'js-b' }])
  const wrongSchema = await failure(db.from('entries').insert({ code: 'js-z' }))
  assert.deepEqual([wrongSchema.status, wrongSchema.code], [404, 'PGRST205'])
  assert.deepEqual(await rows(second.from('entries').select('code, label, n').like('code', 'js-*').order('code')), [
    { code: 'js-a', label: 'two', n: 5 },
    { code: 'js-c', label: null, n: 0 },
  ])
})

// -- rpc -------------------------------------------------------------------------------------------------
await check('rpc scalar by POST and by GET ({ get: true })', async () => {
  const posted = await outcome(db.rpc('add_them', { a: 1, b: 2 }))
  assert.deepEqual(posted, { data: 3, error: null, count: null, status: 200 })
  assert.equal(await rows(db.rpc('add_them', { a: 1, b: 2 }, { get: true })), 3)
  assert.equal(await rows(db.rpc('add_them', { a: 5 })), 15, 'b takes its default')
  assert.equal(await rows(db.rpc('add_them', { a: 5 }, { get: true })), 15)
  assert.equal(await rows(db.rpc('hello')), 'Hello')
  assert.equal(await rows(db.rpc('hello', {}, { get: true })), 'Hello')
  assert.equal(await rows(db.rpc('sum_json', [1, 2, 3])), 6)
})

await check('rpc with variadic and array arguments', async () => {
  assert.deepEqual(await rows(db.rpc('plus_one', { v: [1, 2, 3] })), [2, 3, 4])
  assert.deepEqual(await rows(db.rpc('plus_one', { v: 5 }, { get: true })), [6])
  // By GET the client sends an array as one literal, `v={5,6}`; PostgREST (and so Campus) takes each value
  // of a variadic parameter as one element, so the literal is an invalid integer there too.
  const literal = await failure(db.rpc('plus_one', { v: [5, 6] }, { get: true }))
  assert.deepEqual(
    [literal.status, literal.code, literal.message],
    [400, '22P02', 'invalid input syntax for type integer: "{5,6}"']
  )
  assert.equal(await rows(db.rpc('first_of', { arr: [9, 10] })), 9)
  assert.equal(await rows(db.rpc('first_of', { arr: [7, 8] }, { get: true })), 7)
})

await check('rpc returning rows: select, filter, order, limit, range, single, maybeSingle', async () => {
  for (const get of [false, true]) {
    const projects = (client) => db.rpc('projects_of', { client }, { get })
    assert.deepEqual(await rows(projects(1).select('id, name').order('id', { ascending: false })), [
      { id: 2, name: 'Windows 10' },
      { id: 1, name: 'Windows 7' },
    ])
    assert.deepEqual(await rows(projects(2).select('id').eq('name', 'OSX')), [{ id: 4 }])
    assert.deepEqual(await rows(projects(2).select('name').order('name').limit(1)), [{ name: 'IOS' }])
    assert.deepEqual(await rows(projects(2).select('name, clients(name)').like('name', 'I*').single()), {
      name: 'IOS',
      clients: { name: 'Apple' },
    })
    assert.equal(await rows(projects(3).maybeSingle()), null)
    const many = await failure(projects(1).single())
    assert.deepEqual([many.status, many.code, many.details], [406, 'PGRST116', 'The result contains 2 rows'])
  }
  assert.deepEqual(await rows(db.rpc('squares', { upto: 4 }).gt('square', 4).order('n', { ascending: false })), [
    { n: 4, square: 16 },
    { n: 3, square: 9 },
  ])
  assert.deepEqual(await rows(db.rpc('squares', { upto: 5 }, { get: true }).order('n').range(1, 2)), [
    { n: 2, square: 4 },
    { n: 3, square: 9 },
  ])
  assert.deepEqual(await rows(db.rpc('project_row', { pid: 3 }).select('id, name')), { id: 3, name: 'IOS' })
})

await check("rpc with { count: 'exact' } and { head: true }", async () => {
  const counted = await outcome(db.rpc('projects_of', { client: 2 }, { count: 'exact' }).select('id').order('id'))
  assert.deepEqual(counted, { data: [{ id: 3 }, { id: 4 }], error: null, count: 2, status: 200 })
  const page = await outcome(db.rpc('squares', { upto: 6 }, { count: 'exact' }).select('n').order('n').limit(2))
  assert.deepEqual(page, { data: [{ n: 1 }, { n: 2 }], error: null, count: 6, status: 206 })
  const filtered = await outcome(db.rpc('squares', { upto: 6 }, { count: 'exact', get: true }).lt('square', 10))
  assert.deepEqual([filtered.count, filtered.data.length], [3, 3])
  const head = await outcome(db.rpc('projects_of', { client: 1 }, { head: true, count: 'exact' }))
  assert.deepEqual(head, { data: null, error: null, count: 2, status: 200 })
  const headFiltered = await outcome(db.rpc('squares', { upto: 9 }, { head: true, count: 'exact' }).gt('n', 5))
  assert.deepEqual(headFiltered, { data: null, error: null, count: 4, status: 200 })
})

await check('rpc void (204) and a volatile function by POST, refused by GET', async () => {
  assert.deepEqual(await outcome(db.rpc('do_nothing')), { data: null, error: null, count: null, status: 204 })
  const bumped = await rows(db.rpc('bump'))
  assert.equal(typeof bumped, 'number')
  const readOnly = await failure(db.rpc('bump', {}, { get: true }))
  assert.deepEqual(
    [readOnly.status, readOnly.code, readOnly.message],
    [405, '25006', 'cannot execute UPDATE in a read-only transaction']
  )
  const counter = await rows(db.from('counter').select('hits').eq('id', 1))
  assert.deepEqual(counter, [{ hits: bumped }], 'the GET wrote nothing')
})

await check('rpc errors reach the client as error objects', async () => {
  assert.deepEqual(await failure(db.rpc('pay')), {
    status: 402,
    code: 'PT402',
    message: 'Payment Required',
    details: 'Quota exceeded',
    hint: 'Upgrade',
  })
  assert.deepEqual(await failure(db.rpc('helo')), {
    status: 404,
    code: 'PGRST202',
    message: 'Could not find the function test.helo without parameters in the schema cache',
    details:
      'Searched for the function test.helo without parameters or with a single unnamed json/jsonb parameter, ' +
      'but no matches were found in the schema cache.',
    hint: 'Perhaps you meant to call the function test.hello',
  })
  const missingGet = await failure(db.rpc('helo', {}, { get: true }))
  assert.deepEqual(
    [missingGet.status, missingGet.code, missingGet.details],
    [
      404,
      'PGRST202',
      'Searched for the function test.helo without parameters, but no matches were found in the schema cache.',
    ]
  )
  const wrongArgs = await failure(db.rpc('add_them', { c: 1 }))
  assert.deepEqual(
    [wrongArgs.status, wrongArgs.code, wrongArgs.message],
    [404, 'PGRST202', 'Could not find the function test.add_them(c) in the schema cache']
  )
  const badValue = await failure(db.rpc('add_them', { a: 'x' }, { get: true }))
  assert.deepEqual([badValue.status, badValue.code], [400, '22P02'])
  await assert.rejects(
    async () => await db.rpc('pay').throwOnError(),
    (error) => error instanceof PostgrestError && error.code === 'PT402' && error.hint === 'Upgrade'
  )
  // A status set from SQL: the client reports any non-2xx as an error, here the JSON body itself.
  const { data, error, status } = await db.rpc('teapot')
  assert.deepEqual([status, data, error], [418, null, 'short and stout'])
})

finish()
