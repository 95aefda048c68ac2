// The few autocannon types the load generator uses (the package ships none).
declare module 'autocannon' {
  interface Histogram {
    average: number
    mean: number
    p50: number
    p99: number
    total: number
  }
  interface AutocannonResult {
    requests: Histogram
    latency: Histogram
    non2xx: number
    errors: number
    timeouts: number
  }
  interface AutocannonOptions {
    url: string
    connections?: number
    duration?: number
    headers?: Record<string, string>
  }
  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>
  export default autocannon
}
