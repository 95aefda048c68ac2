/**
 * A verification loop to profile: `node --cpu-prof --cpu-prof-dir=bench/results/profiles
 * --import tsx bench/profile/verify-loop.ts [sync|async|bare] [seconds=5]`, then
 * `node --import tsx bench/profile/summarize.ts <profile>`.
 */
import { bareHmacVerify } from '../lib/bare.ts'
import { HMAC_SECRET, SUBJECT, createAuthX, createKeyMaterial } from '../lib/fixtures.ts'

const [mode = 'sync', seconds = '5'] = process.argv.slice(2)
const auth = createAuthX(createKeyMaterial('HS256'))
const token = auth.createAccessToken(SUBJECT)
const secret = Buffer.from(HMAC_SECRET)

function bare(): unknown {
  return bareHmacVerify(secret, token)
}

const end = performance.now() + Number(seconds) * 1000
let ops = 0
let sink: unknown
const cpu = process.cpuUsage()
while (performance.now() < end) {
  for (let i = 0; i < 1000; i++) {
    if (mode === 'async') sink = await auth.verifyToken(token)
    else if (mode === 'bare') sink = bare()
    else sink = auth.verifyTokenSync(token)
  }
  ops += 1000
}
const used = process.cpuUsage(cpu)
process.stdout.write(
  `${mode}: ${Math.round(ops / ((used.user + used.system) / 1e6))} ops per CPU-second (${typeof sink})\n`,
)
