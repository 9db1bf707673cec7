// Conversions between the per-channel dtype of a layer, its per-layer dtype ("uint24" for three
// uint8 channels) and the `elementClass` stored in datasource-properties.json, as the Python
// reference does them: the bit counts in the name are divided or multiplied by the channels.
import { type DType, isDType } from '../storage/dtype'
import { invalidArgument } from '../errors'

/** Names that `addLayer` accepts besides the DTypes, as the reference (and numpy) does. */
const ALIASES: Record<string, DType> = { float: 'float32', double: 'float64', int: 'int64', uint: 'uint64' }

/** Divides (per layer → per channel) or multiplies every bit count in a dtype name by `channels`. */
function scaleBits(name: string, channels: number, toPerChannel: boolean): string {
  return name.replace(/\d+/g, (bits) => String(toPerChannel ? Math.trunc(Number(bits) / channels) : Number(bits) * channels))
}

/** A per-channel dtype as `addLayer` takes it: a DType, or "float"/"double". */
export function normalizeDtypePerChannel(value: unknown): DType {
  const dtype = typeof value === 'string' ? (ALIASES[value] ?? value) : value
  if (!isDType(dtype)) throw invalidArgument(`dtypePerChannel must be a valid dtype, but is ${JSON.stringify(value)}`)
  return dtype
}

/** The per-channel dtype of a per-layer dtype such as "uint24" split over `channels`. */
export function dtypePerLayerToPerChannel(value: unknown, channels: number): DType {
  const name = typeof value === 'string' ? (ALIASES[value] ?? value) : ''
  const perChannel = scaleBits(name, channels, true)
  if (!name || !isDType(perChannel)) {
    throw invalidArgument(
      `Converting dtypePerLayer ${JSON.stringify(value)} to a dtype per channel failed for ${channels} channel(s) (got "${perChannel}")`,
    )
  }
  return perChannel
}

export function dtypePerChannelToPerLayer(dtype: DType, channels: number): string {
  return scaleBits(dtype, channels, false)
}

/** The `elementClass` of the properties: the per-layer dtype, with float32/float64 renamed. */
export function toElementClass(dtype: DType, channels: number): string {
  const perLayer = dtypePerChannelToPerLayer(dtype, channels)
  return perLayer === 'float32' ? 'float' : perLayer === 'float64' ? 'double' : perLayer
}

/** The per-channel dtype an `elementClass` stands for. */
export function fromElementClass(elementClass: string, channels: number): DType {
  return dtypePerLayerToPerChannel(elementClass, channels)
}
