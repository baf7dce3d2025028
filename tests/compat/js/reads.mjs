// Read operations of the real @supabase/postgrest-js client against a running Campus server.
//
// Environment: CAMPUS_URL (the server), CAMPUS_ANON_KEY (a valid anon JWT),
// CAMPUS_USER_KEY (a valid `authenticated` JWT), CAMPUS_EXPIRED_KEY (an expired JWT).
// The server serves tests/http/fixture.sql plus the `test.whoami` view (tests/compat/conftest.py).
// Prints one line per check, then a JSON summary; exits 1 if any check failed.

import assert from 'node:assert/strict'
import { PostgrestClient, PostgrestError } from '@supabase/postgrest-js'
import { harness } from './harness.mjs'

const { CAMPUS_URL: url, CAMPUS_ANON_KEY: anonKey, CAMPUS_USER_KEY: userKey, CAMPUS_EXPIRED_KEY: expiredKey } =
  process.env
if (!url || !anonKey || !userKey || !expiredKey) {
  console.error('set CAMPUS_URL, CAMPUS_ANON_KEY, CAMPUS_USER_KEY and CAMPUS_EXPIRED_KEY')
  process.exit(2)
}

const { recordingFetch, check, rows, finish } = harness(url)

// Configured the way supabase-js configures it: apikey + Authorization headers, a schema.
const client = (key, options = {}) =>
  new PostgrestClient(url, {
    headers: { apikey: key, Authorization: `Bearer ${key}` },
    schema: 'test',
    fetch: recordingFetch,
    ...options,
  })
const db = client(anonKey)

const pluck = (key) => (list) => list.map((row) => row[key])
const names = async (query) => pluck('name')(await rows(query))
const titles = async (query) => pluck('title')(await rows(query))
const ids = async (query) => pluck('id')(await rows(query))

// -- select ------------------------------------------------------------------------------------------
await check('select * returns every column', async () => {
  assert.deepEqual(await rows(db.from('people').select('*').order('id')), [
    { id: 1, name: 'Angela', age: 41, student: false },
    { id: 2, name: 'Bo', age: 17, student: true },
    { id: 3, name: 'Chen', age: 22, student: true },
    { id: 4, name: 'Dana', age: null, student: null },
  ])
  assert.equal((await rows(db.from('people').select())).length, 4)
})

await check('select columns, aliases, casts, whitespace', async () => {
  assert.deepEqual(await rows(db.from('people').select('id, fullName:name, age::text').eq('id', 1)), [
    { id: 1, fullName: 'Angela', age: '41' },
  ])
})

await check('select quoted and unicode columns, json paths, typed values', async () => {
  const data = await rows(
    db.from('documents').select('"Display Name",café,kind:data->>kind,b:data->a->b,first:data->list->0').eq('id', 1)
  )
  assert.deepEqual(data, [{ 'Display Name': 'Über document', café: 'au lait', kind: 'x', b: 1, first: 1 }])
  assert.deepEqual(await rows(db.from('documents').select('data,meta,tags,period,mood').eq('id', 1)), [
    {
      data: { a: { b: 1 }, kind: 'x', list: [1, 2] },
      meta: { n: 1 },
      tags: ['cats', 'animals'],
      period: '[2025-01-01,2025-06-30)',
      mood: 'happy',
    },
  ])
})

await check('select computed field', async () => {
  assert.deepEqual(await rows(db.from('projects').select('id,label').eq('id', 3)), [{ id: 3, label: 'IOS #3' }])
})

// -- embeds -------------------------------------------------------------------------------------------
await check('embed to-one (and a missing one)', async () => {
  assert.deepEqual(await rows(db.from('projects').select('name, clients(name)').in('id', [1, 5]).order('id')), [
    { name: 'Windows 7', clients: { name: 'Microsoft' } },
    { name: 'Orphan', clients: null },
  ])
})

await check('embed nested to-many with order referencedTable', async () => {
  const data = await rows(
    db
      .from('clients')
      .select('name, projects(name, tasks(name))')
      .eq('id', 2)
      .order('id', { referencedTable: 'projects' })
      .order('id', { referencedTable: 'projects.tasks', ascending: false })
  )
  assert.deepEqual(data, [
    {
      name: 'Apple',
      projects: [
        { name: 'IOS', tasks: [{ name: 'Code IOS' }, { name: 'Design IOS' }] },
        { name: 'OSX', tasks: [{ name: 'Code OSX' }, { name: 'Design OSX' }] },
      ],
    },
  ])
})

await check('embed many-to-many, one-to-one, through a view, computed relationship', async () => {
  assert.deepEqual(
    await rows(db.from('people').select('name, tasks(name)').eq('id', 3).order('id', { referencedTable: 'tasks' })),
    [{ name: 'Chen', tasks: [{ name: 'Design IOS' }, { name: 'Code IOS' }, { name: 'Design OSX' }] }]
  )
  assert.deepEqual(await rows(db.from('clients').select('name, client_profiles(motto)').eq('id', 1)), [
    { name: 'Microsoft', client_profiles: { motto: "Be what's next" } },
  ])
  assert.deepEqual(await rows(db.from('project_view').select('name, client_name, clients(id)').eq('id', 3)), [
    { name: 'IOS', client_name: 'Apple', clients: { id: 2 } },
  ])
  assert.deepEqual(await rows(db.from('projects').select('name, open_tasks(name)').eq('id', 1)), [
    { name: 'Windows 7', open_tasks: [{ name: 'Code w7' }] },
  ])
})

await check('embed !inner with an embedded filter', async () => {
  assert.deepEqual(await rows(db.from('clients').select('id, projects!inner(name)').eq('projects.name', 'IOS')), [
    { id: 2, projects: [{ name: 'IOS' }] },
  ])
})

await check('embed hints, aliases, self-reference', async () => {
  assert.deepEqual(
    await rows(
      db
        .from('orders')
        .select('name, billing:addresses!billing(street), shipping:addresses!shipping(street)')
        .eq('id', 1)
    ),
    [{ name: 'first', billing: { street: 'Main St 1' }, shipping: { street: 'Side St 2' } }]
  )
  assert.deepEqual(
    await rows(db.from('family').select('name, parent:family!parent_id(name), children:family(name)').eq('id', 2)),
    [{ name: 'Mum', parent: { name: 'Grandma' }, children: [{ name: 'Kid' }] }]
  )
})

await check('embed ambiguity is a PGRST201 error', async () => {
  const { data, error, status } = await db.from('orders').select('*, addresses(*)')
  assert.equal(data, null)
  assert.equal(status, 300)
  assert.equal(error.code, 'PGRST201')
  assert.equal(error.details.length, 2)
})

await check('embed spread', async () => {
  assert.deepEqual(await rows(db.from('projects').select('name, ...clients(client_name:name)').eq('id', 3)), [
    { name: 'IOS', client_name: 'Apple' },
  ])
})

await check('empty embed with is null / not is null', async () => {
  assert.deepEqual(await rows(db.from('clients').select('id, projects()').is('projects', null)), [{ id: 3 }])
  const some = db.from('clients').select('id, projects()').not('projects', 'is', null).order('id')
  assert.deepEqual(await ids(some), [1, 2])
})

await check('embedded or, filter, limit and range', async () => {
  assert.deepEqual(
    await rows(
      db
        .from('projects')
        .select('name, tasks(name)')
        .eq('id', 1)
        .or('done.is.true,name.like.*Code*', { referencedTable: 'tasks' })
        .order('id', { referencedTable: 'tasks' })
    ),
    [{ name: 'Windows 7', tasks: [{ name: 'Design w7' }, { name: 'Code w7' }] }]
  )
  assert.deepEqual(await rows(db.from('projects').select('name, tasks(name)').eq('id', 1).eq('tasks.done', false)), [
    { name: 'Windows 7', tasks: [{ name: 'Code w7' }] },
  ])
  assert.deepEqual(
    await rows(
      db
        .from('projects')
        .select('id, tasks(id)')
        .eq('id', 1)
        .order('id', { referencedTable: 'tasks', ascending: false })
        .limit(1, { referencedTable: 'tasks' })
    ),
    [{ id: 1, tasks: [{ id: 2 }] }]
  )
  assert.deepEqual(
    await rows(
      db
        .from('clients')
        .select('id, projects(id)')
        .eq('id', 1)
        .order('id', { referencedTable: 'projects' })
        .range(1, 1, { referencedTable: 'projects' })
    ),
    [{ id: 1, projects: [{ id: 2 }] }]
  )
})

// -- filters on people ------------------------------------------------------------------------------
const people = () => db.from('people').select('name').order('name')
const peopleFilters = [
  ['eq', (q) => q.eq('age', 41), ['Angela']],
  ['eq boolean', (q) => q.eq('student', true), ['Bo', 'Chen']],
  ['neq', (q) => q.neq('age', 41), ['Bo', 'Chen']],
  ['gt', (q) => q.gt('age', 17), ['Angela', 'Chen']],
  ['gte', (q) => q.gte('age', 22), ['Angela', 'Chen']],
  ['lt', (q) => q.lt('age', 22), ['Bo']],
  ['lte', (q) => q.lte('age', 22), ['Bo', 'Chen']],
  ['gt and lt', (q) => q.gt('age', 20).lt('age', 30), ['Chen']],
  ['like with *', (q) => q.like('name', '*n*'), ['Angela', 'Chen', 'Dana']],
  ['like with %', (q) => q.like('name', '%n%'), ['Angela', 'Chen', 'Dana']],
  ['ilike', (q) => q.ilike('name', 'b%'), ['Bo']],
  ['likeAnyOf', (q) => q.likeAnyOf('name', ['A%', 'B%']), ['Angela', 'Bo']],
  ['likeAllOf', (q) => q.likeAllOf('name', ['%a%', '%e%']), ['Angela']],
  ['ilikeAnyOf', (q) => q.ilikeAnyOf('name', ['a%', 'b%']), ['Angela', 'Bo']],
  ['ilikeAllOf', (q) => q.ilikeAllOf('name', ['%A%', '%N%']), ['Angela', 'Dana']],
  ['regexMatch', (q) => q.regexMatch('name', '^[AB]'), ['Angela', 'Bo']],
  ['regexIMatch', (q) => q.regexIMatch('name', '^c'), ['Chen']],
  ['is null', (q) => q.is('age', null), ['Dana']],
  ['is true', (q) => q.is('student', true), ['Bo', 'Chen']],
  ['is false', (q) => q.is('student', false), ['Angela']],
  ['isDistinct', (q) => q.isDistinct('student', true), ['Angela', 'Dana']],
  ['in text', (q) => q.in('name', ['Bo', 'Dana']), ['Bo', 'Dana']],
  ['in numbers', (q) => q.in('age', [17, 22]), ['Bo', 'Chen']],
  ['in empty', (q) => q.in('name', []), []],
  ['notIn', (q) => q.notIn('name', ['Bo', 'Dana']), ['Angela', 'Chen']],
  ['not in', (q) => q.not('name', 'in', '(Bo,Dana)'), ['Angela', 'Chen']],
  ['not eq', (q) => q.not('name', 'eq', 'Bo'), ['Angela', 'Chen', 'Dana']],
  ['not is null', (q) => q.not('age', 'is', null), ['Angela', 'Bo', 'Chen']],
  ['match', (q) => q.match({ student: true, age: 17 }), ['Bo']],
  ['or', (q) => q.or('age.lt.18,student.not.is.true'), ['Angela', 'Bo', 'Dana']],
  ['or with nested and', (q) => q.or('age.gt.40,and(student.is.true,age.lt.20)'), ['Angela', 'Bo']],
  ['or with in', (q) => q.or('name.in.(Bo,Chen),age.is.null'), ['Bo', 'Chen', 'Dana']],
  ['filter', (q) => q.filter('age', 'not.in', '(17,41)'), ['Chen']],
  ['filter isdistinct', (q) => q.filter('student', 'isdistinct', 'true'), ['Angela', 'Dana']],
]
for (const [label, apply, expected] of peopleFilters) {
  await check(`filter people: ${label}`, async () => assert.deepEqual(await names(apply(people())), expected))
}

// -- filters on json, arrays, ranges, full text, enums ---------------------------------------------
const documents = () => db.from('documents').select('title').order('id')
const documentFilters = [
  ['json path eq', (q) => q.eq('data->>kind', 'y'), ['Lazy dogs']],
  ['json nested path', (q) => q.eq('data->a->b', 1), ['Fat cats']],
  ['enum eq', (q) => q.eq('mood', 'happy'), ['Fat cats']],
  ['enum is null', (q) => q.is('mood', null), ['Empty']],
  ['in on a spaced column, quoted value', (q) => q.in('Display Name', ['Über document', 'x,y']), ['Fat cats']],
  ['eq on a unicode column', (q) => q.eq('café', 'au lait'), ['Fat cats']],
  ['contains array', (q) => q.contains('tags', ['animals']), ['Fat cats', 'Lazy dogs']],
  ['contains jsonb', (q) => q.contains('data', { kind: 'x' }), ['Fat cats']],
  ['contains jsonb nested', (q) => q.contains('data', { a: { b: 2 } }), ['Lazy dogs']],
  ['contains range', (q) => q.contains('period', '[2025-02-01,2025-03-01)'), ['Fat cats']],
  ['containedBy array', (q) => q.containedBy('tags', ['cats', 'animals', 'more']), ['Fat cats', 'Empty']],
  [
    'containedBy jsonb',
    (q) => q.containedBy('data', { a: { b: 1 }, kind: 'x', list: [1, 2], extra: true }),
    ['Fat cats'],
  ],
  ['containedBy range', (q) => q.containedBy('period', '[2025-01-01,2026-01-01)'), ['Fat cats', 'Lazy dogs']],
  ['overlaps array', (q) => q.overlaps('tags', ['dogs', 'fish']), ['Lazy dogs']],
  ['overlaps range', (q) => q.overlaps('period', '[2025-06-01,2025-08-01)'), ['Fat cats', 'Lazy dogs']],
  ['rangeLt', (q) => q.rangeLt('period', '[2025-07-01,2025-08-01)'), ['Fat cats']],
  ['rangeGt', (q) => q.rangeGt('period', '[2025-03-01,2025-06-01)'), ['Lazy dogs']],
  ['rangeGte', (q) => q.rangeGte('period', '[2025-06-01,2025-07-01)'), ['Lazy dogs']],
  ['rangeLte', (q) => q.rangeLte('period', '[2025-01-01,2025-07-01)'), ['Fat cats']],
  ['rangeAdjacent', (q) => q.rangeAdjacent('period', '[2025-06-30,2025-07-01)'), ['Fat cats', 'Lazy dogs']],
  ['textSearch', (q) => q.textSearch('search', 'cats'), ['Fat cats']],
  ['textSearch with operators', (q) => q.textSearch('search', "'fat' & 'cats'"), ['Fat cats']],
  ['textSearch plain', (q) => q.textSearch('search', 'fat cat', { type: 'plain', config: 'english' }), ['Fat cats']],
  [
    'textSearch phrase',
    (q) => q.textSearch('search', 'lazy dog', { type: 'phrase', config: 'english' }),
    ['Lazy dogs'],
  ],
  [
    'textSearch websearch',
    (q) => q.textSearch('search', 'cat or dog', { type: 'websearch', config: 'english' }),
    ['Fat cats', 'Lazy dogs'],
  ],
  [
    'textSearch websearch phrase and negation',
    (q) => q.textSearch('search', '"lazy dog" -cat', { type: 'websearch' }),
    ['Lazy dogs'],
  ],
  ['textSearch on a text column', (q) => q.textSearch('body', 'sleeps', { config: 'english' }), ['Lazy dogs']],
  ['not fts', (q) => q.not('search', 'fts', 'cats'), ['Lazy dogs', 'Empty']],
  ['or with an array literal', (q) => q.or('tags.cs.{cats},mood.eq.sad'), ['Fat cats', 'Lazy dogs']],
]
for (const [label, apply, expected] of documentFilters) {
  await check(`filter documents: ${label}`, async () => assert.deepEqual(await titles(apply(documents())), expected))
}

// -- order, limit, range ---------------------------------------------------------------------------
await check('order ascending/descending with nullsFirst, several columns', async () => {
  const ordered = (apply) => names(apply(db.from('people').select('name')))
  const descending = (nullsFirst) => ordered((q) => q.order('age', { ascending: false, nullsFirst }))
  assert.deepEqual(await descending(true), ['Dana', 'Angela', 'Chen', 'Bo'])
  assert.deepEqual(await descending(false), ['Angela', 'Chen', 'Bo', 'Dana'])
  assert.deepEqual(await ordered((q) => q.order('age', { nullsFirst: true })), ['Dana', 'Bo', 'Chen', 'Angela'])
  assert.deepEqual(await ordered((q) => q.order('name', { ascending: false })), ['Dana', 'Chen', 'Bo', 'Angela'])
  assert.deepEqual(
    await ordered((q) =>
      q.order('student', { ascending: false, nullsFirst: false }).order('name', { ascending: false })
    ),
    ['Chen', 'Bo', 'Angela', 'Dana']
  )
})

await check('order by a json path and by a to-one embed column', async () => {
  const byJson = db.from('documents').select('id').order('data->>kind', { ascending: false, nullsFirst: false })
  assert.deepEqual(await ids(byJson), [2, 1, 3])
  assert.deepEqual(
    await names(
      db
        .from('projects')
        .select('name, clients(name)')
        .not('client_id', 'is', null)
        .order('clients(name)', { ascending: false })
        .order('id')
    ),
    ['Windows 7', 'Windows 10', 'IOS', 'OSX']
  )
})

await check('limit and range', async () => {
  const tasks = () => db.from('tasks').select('id').order('id')
  assert.deepEqual(await ids(tasks().limit(2)), [1, 2])
  assert.deepEqual(await ids(tasks().range(2, 4)), [3, 4, 5])
  assert.deepEqual(await ids(tasks().range(6, 20)), [7, 8])
  assert.deepEqual(await ids(tasks().limit(0)), [])
})

// -- counts -------------------------------------------------------------------------------------------
await check("select('*', { count: 'exact' }) with a range gives 206 and the total", async () => {
  const whole = await db.from('tasks').select('id', { count: 'exact' }).order('id')
  assert.equal(whole.error, null)
  assert.equal(whole.count, 8)
  assert.equal(whole.status, 200)
  const page = await db.from('tasks').select('*', { count: 'exact' }).order('id').range(1, 2)
  assert.equal(page.error, null)
  assert.deepEqual([page.status, page.count, page.data.map((row) => row.id)], [206, 8, [2, 3]])
  const none = await db.from('tasks').select('*', { count: 'exact' }).eq('id', 999)
  assert.deepEqual([none.error, none.status, none.count, none.data], [null, 200, 0, []])
  const inner = await db
    .from('clients')
    .select('id, projects!inner(id)', { count: 'exact' })
    .like('projects.name', 'Windows*')
  assert.deepEqual([inner.error, inner.count, inner.data.map((row) => row.id)], [null, 1, [1]])
})

await check("select('*', { count: 'exact', head: true })", async () => {
  const all = await db.from('tasks').select('*', { count: 'exact', head: true })
  assert.deepEqual([all.error, all.status, all.count, all.data], [null, 200, 8, null])
  const done = await db.from('tasks').select('*', { count: 'exact', head: true }).eq('done', true)
  assert.deepEqual([done.error, done.count], [null, 3])
  const view = await db.from('project_view').select('id', { count: 'exact', head: true }).eq('client_id', 1)
  assert.deepEqual([view.error, view.count], [null, 2])
})

// -- singular, csv, stripNulls ----------------------------------------------------------------------
await check('single', async () => {
  assert.deepEqual(await rows(db.from('tasks').select('id, name').eq('id', 1).single()), { id: 1, name: 'Design w7' })
  assert.deepEqual(await rows(db.from('projects').select('name, clients(name)').eq('id', 3).single()), {
    name: 'IOS',
    clients: { name: 'Apple' },
  })
  const many = await db.from('tasks').select('id').lt('id', 3).single()
  assert.deepEqual(
    [many.status, many.data, many.error.code, many.error.details],
    [406, null, 'PGRST116', 'The result contains 2 rows']
  )
  const none = await db.from('tasks').select('id').eq('id', 999).single()
  assert.deepEqual([none.status, none.error.code, none.error.details], [406, 'PGRST116', 'The result contains 0 rows'])
})

await check('maybeSingle with one row, no row, several rows', async () => {
  const one = db.from('people').select('name, age').eq('name', 'Bo').maybeSingle()
  assert.deepEqual(await rows(one), { name: 'Bo', age: 17 })
  const none = await db.from('people').select('name').eq('name', 'Nobody').maybeSingle()
  assert.deepEqual([none.error, none.data, none.status], [null, null, 200])
  const many = await db.from('people').select('name').maybeSingle()
  assert.deepEqual([many.data, many.error.code, many.status], [null, 'PGRST116', 406])
})

await check('csv', async () => {
  const everyone = db.from('people').select('id,name,age').order('id').csv()
  assert.equal(await rows(everyone), 'id,name,age\n1,Angela,41\n2,Bo,17\n3,Chen,22\n4,Dana,')
  const two = db.from('clients').select('id,name').in('id', [1, 2]).order('id').csv()
  assert.equal(await rows(two), 'id,name\n1,Microsoft\n2,Apple')
})

await check('stripNulls', async () => {
  assert.deepEqual(await rows(db.from('people').select('*').in('id', [3, 4]).order('id').stripNulls()), [
    { id: 3, name: 'Chen', age: 22, student: true },
    { id: 4, name: 'Dana' },
  ])
  assert.deepEqual(await rows(db.from('documents').select('id,body,mood').eq('id', 3).stripNulls().single()), { id: 3 })
})

// -- schemas ------------------------------------------------------------------------------------------
await check(".schema('test2')", async () => {
  assert.deepEqual(await rows(db.schema('test2').from('clients').select('*')), [
    { id: 1, name: 'Second schema client' },
  ])
  assert.deepEqual(await rows(db.from('clients').select('name').eq('id', 1)), [{ name: 'Microsoft' }])
  assert.deepEqual(await rows(client(anonKey, { schema: 'test2' }).from('clients').select('name')), [
    { name: 'Second schema client' },
  ])
})

await check('no schema option uses the first exposed schema', async () => {
  const plain = new PostgrestClient(url, {
    headers: { apikey: anonKey, Authorization: `Bearer ${anonKey}` },
    fetch: recordingFetch,
  })
  assert.deepEqual(await rows(plain.from('clients').select('name').eq('id', 2)), [{ name: 'Apple' }])
})

await check('an unexposed schema and an unknown table are errors', async () => {
  const publicSchema = await db.schema('public').from('clients').select('*')
  assert.deepEqual(
    [publicSchema.status, publicSchema.error.code, publicSchema.error.message],
    [406, 'PGRST106', 'Invalid schema: public']
  )
  assert.equal(publicSchema.error.hint, 'Only the following schemas are exposed: test, test2')
  const missing = await db.from('clientz').select('*')
  assert.deepEqual([missing.status, missing.error.code], [404, 'PGRST205'])
})

await check('database errors reach the client', async () => {
  const column = await db.from('clients').select('nope')
  assert.deepEqual([column.status, column.error.code], [400, '42703'])
  const literal = await db.from('clients').select('*').eq('id', 'abc')
  assert.deepEqual([literal.status, literal.error.code], [400, '22P02'])
  await assert.rejects(
    async () => await db.from('clients').select('nope').throwOnError(),
    (error) => error instanceof PostgrestError && error.code === '42703'
  )
})

// -- tokens ------------------------------------------------------------------------------------------
await check('the anon key reaches the database', async () => {
  assert.deepEqual(await rows(db.from('whoami').select('*')), [{ role: 'anon', sub: 'compat-anon', apikey: anonKey }])
})

await check('an authenticated token switches the role', async () => {
  assert.deepEqual(await rows(client(userKey).from('whoami').select('role, sub')), [
    { role: 'authenticated', sub: 'compat-user' },
  ])
})

await check('an expired token is rejected with PGRST303', async () => {
  const { data, error, status } = await client(expiredKey).from('clients').select('*')
  assert.deepEqual([data, status, error.code, error.message], [null, 401, 'PGRST303', 'JWT expired'])
  const head = await client(expiredKey).from('clients').select('*', { count: 'exact', head: true })
  assert.equal(head.status, 401)
})

finish()
