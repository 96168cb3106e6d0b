import protobuf from 'protobufjs/light.js';

/**
 * The subset of the ONNX schema (onnx/onnx.proto3, IR version 8 to 10) that an exported model
 * uses, as a protobufjs JSON descriptor: a TypeScript constant, so it ships inside dist/ with
 * no .proto file to copy. Field ids are the schema's; names are camelCased as protobufjs does.
 * Messages and fields the exporter never writes (sparse tensors, training info, sequences,
 * maps, subgraphs) are left out, and decoding skips them.
 */
const repeated = (type: string, id: number): { rule: 'repeated'; type: string; id: number } => ({ rule: 'repeated', type, id });
const field = (type: string, id: number): { type: string; id: number } => ({ type, id });

const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: field('string', 1),
            type: field('int32', 20), // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
          },
        },
        ValueInfoProto: {
          fields: { name: field('string', 1), type: field('TypeProto', 2), docString: field('string', 3) },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: field('string', 3),
            opType: field('string', 4),
            domain: field('string', 7),
            attribute: repeated('AttributeProto', 5),
            docString: field('string', 6),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field('int64', 1),
            opsetImport: repeated('OperatorSetIdProto', 8),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            domain: field('string', 4),
            modelVersion: field('int64', 5),
            docString: field('string', 6),
            graph: field('GraphProto', 7),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
        StringStringEntryProto: {
          fields: { key: field('string', 1), value: field('string', 2) },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: field('string', 2),
            initializer: repeated('TensorProto', 5),
            docString: field('string', 10),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: field('int32', 2),
            name: field('string', 8),
            docString: field('string', 12),
            rawData: field('bytes', 9),
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: field('int64', 1), dimParam: field('string', 2), denotation: field('string', 3) },
            },
          },
        },
        TypeProto: {
          fields: { tensorType: field('Tensor', 1), denotation: field('string', 6) },
          nested: {
            Tensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: field('string', 1), version: field('int64', 2) },
        },
      },
    },
  },
};

/** TensorProto.DataType values. */
export const ONNX_DTYPE = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** AttributeProto.AttributeType values. */
export const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

// Plain-object shapes of the messages as written (protobufjs fromObject input).
export interface TensorMsg { name: string; dims: number[]; dataType: number; rawData: Uint8Array }
export interface AttributeMsg { name: string; type: number; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[] }
export interface NodeMsg { input: string[]; output: string[]; name: string; opType: string; attribute: AttributeMsg[] }
export interface DimMsg { dimValue?: number; dimParam?: string }
export interface ValueInfoMsg { name: string; type: { tensorType: { elemType: number; shape: { dim: DimMsg[] } } } }
export interface GraphMsg { node: NodeMsg[]; name: string; initializer: TensorMsg[]; input: ValueInfoMsg[]; output: ValueInfoMsg[]; docString?: string }
export interface ModelMsg {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphMsg;
  metadataProps: { key: string; value: string }[];
}

let modelType: protobuf.Type | null = null;

function model(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

/** The wire bytes of an ONNX ModelProto. */
export function encodeModel(m: ModelMsg): Uint8Array {
  const t = model();
  return t.encode(t.fromObject(m as unknown as Record<string, unknown>)).finish();
}

/**
 * Reads an ONNX model back into plain objects (int64 fields as numbers, bytes as Uint8Array);
 * fields outside the subset above are skipped.
 */
export function decodeModel(bytes: Uint8Array): ModelMsg {
  const t = model();
  return t.toObject(t.decode(bytes), { longs: Number, defaults: false, arrays: true }) as unknown as ModelMsg;
}
