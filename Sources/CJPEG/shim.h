// libjpeg-turbo (Debian's libjpeg62-turbo-dev): the decoder OpenCV uses, so pixels match Caffe's.
//
// libjpeg reports errors through `error_exit`, which must not return; the only way back is
// longjmp, which Swift cannot do. The two functions below keep setjmp/longjmp inside C and
// return an error code plus a message instead, so a corrupt JPEG becomes a Swift error.
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

struct dsod_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void dsod_jpeg_error_exit(j_common_ptr cinfo) {
    struct dsod_jpeg_error *err = (struct dsod_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void dsod_jpeg_silent_output(j_common_ptr cinfo) { (void)cinfo; }

/// Output modes of `dsod_jpeg_decode`, named after OpenCV's imdecode flags.
enum { DSOD_JPEG_NATIVE = -1, DSOD_JPEG_GRAY = 0, DSOD_JPEG_COLOR = 1 };

/// Reads only the header: width, height and the number of components in the file.
static inline int dsod_jpeg_header(const unsigned char *data, unsigned long size,
                                   int *width, int *height, int *components, char *message) {
    struct jpeg_decompress_struct cinfo;
    struct dsod_jpeg_error err;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = dsod_jpeg_error_exit;
    err.base.output_message = dsod_jpeg_silent_output;
    err.message[0] = 0;
    if (setjmp(err.jump)) {
        strncpy(message, err.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    *components = cinfo.num_components;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Decodes as OpenCV 4's JpegDecoder does: default settings (islow IDCT, fancy upsampling),
/// output JCS_EXT_BGR for colour and JCS_GRAYSCALE (libjpeg's own Y plane) for gray; a
/// 4-component (CMYK) file is read as CMYK and converted like OpenCV's icvCvt_CMYK2BGR.
/// `out` must hold width*height*channels bytes, with channels = 3 for colour, 1 for gray and
/// for native mode 3 if the file has more than one component, else 1.
static inline int dsod_jpeg_decode(const unsigned char *data, unsigned long size, int mode,
                                   unsigned char *out, int out_width, int out_height,
                                   int out_channels, char *message) {
    struct jpeg_decompress_struct cinfo;
    struct dsod_jpeg_error err;
    unsigned char *volatile cmyk_row = NULL;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = dsod_jpeg_error_exit;
    err.base.output_message = dsod_jpeg_silent_output;
    err.message[0] = 0;
    if (setjmp(err.jump)) {
        strncpy(message, err.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        free(cmyk_row);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    if ((int)cinfo.image_width != out_width || (int)cinfo.image_height != out_height) {
        strcpy(message, "image size changed between header and decode");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    int is_cmyk = cinfo.num_components == 4;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    if (is_cmyk) {
        cinfo.out_color_space = JCS_CMYK;
    } else if (out_channels == 3) {
        cinfo.out_color_space = JCS_EXT_BGR;
    } else {
        cinfo.out_color_space = JCS_GRAYSCALE;
    }
    (void)mode;
    jpeg_start_decompress(&cinfo);
    if (is_cmyk) cmyk_row = (unsigned char *)malloc((size_t)out_width * 4);
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = out + (size_t)cinfo.output_scanline * (size_t)out_width * (size_t)out_channels;
        if (!is_cmyk) {
            JSAMPROW rows[1] = { row };
            jpeg_read_scanlines(&cinfo, rows, 1);
            continue;
        }
        JSAMPROW rows[1] = { cmyk_row };
        jpeg_read_scanlines(&cinfo, rows, 1);
        for (int x = 0; x < out_width; x++) {
            const unsigned char *p = cmyk_row + 4 * x;
            int k = p[3];
            int c = k - ((255 - p[0]) * k >> 8);
            int m = k - ((255 - p[1]) * k >> 8);
            int y = k - ((255 - p[2]) * k >> 8);
            if (out_channels == 3) {
                row[3 * x] = (unsigned char)y;
                row[3 * x + 1] = (unsigned char)m;
                row[3 * x + 2] = (unsigned char)c;
            } else {
                // OpenCV's icvCvt_CMYK2Gray: the BGR result weighted with cv's gray coefficients.
                row[x] = (unsigned char)((y * 1868 + m * 9617 + c * 4899 + 8192) >> 14);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    free(cmyk_row);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Encodes as OpenCV 4's JpegEncoder with default parameters: jpeg_set_defaults, quality via
/// jpeg_set_quality(q, TRUE), baseline, no optimized Huffman tables, input JCS_EXT_BGR for
/// 3 channels and JCS_GRAYSCALE for 1. On success `*out`/`*out_size` hold a malloc'ed buffer
/// the caller frees with `dsod_jpeg_free`.
static inline int dsod_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                                   int quality, unsigned char **out, unsigned long *out_size,
                                   char *message) {
    struct jpeg_compress_struct cinfo;
    struct dsod_jpeg_error err;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = dsod_jpeg_error_exit;
    err.base.output_message = dsod_jpeg_silent_output;
    err.message[0] = 0;
    *out = NULL;
    *out_size = 0;
    if (setjmp(err.jump)) {
        strncpy(message, err.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        jpeg_destroy_compress(&cinfo);
        if (*out) { free(*out); *out = NULL; }
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 3 ? JCS_EXT_BGR : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    cinfo.restart_interval = 0;
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = { (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * (size_t)channels) };
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}

static inline void dsod_jpeg_free(unsigned char *buffer) { free(buffer); }
