// DataPipeline
