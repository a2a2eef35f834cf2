// libjpeg-turbo (Debian's libjpeg62-turbo-dev): the decoder OpenCV uses, so pixels match Caffe's.
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
